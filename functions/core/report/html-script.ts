/// <reference lib="dom" />

/**
 * The HTML report's browser code, inlined into the page as the source text of `reportApp`. It is
 * written here as ordinary TypeScript so it is type-checked and linted with the rest; it must
 * therefore use nothing from outside its own body (the page has no modules), and only syntax the
 * browser runs as it is once types are stripped.
 *
 * It reads the embedded findings, and keeps the table to one page of rows: filtering, sorting and
 * paging work on an array of row numbers, so 100,000 findings never become 100,000 DOM rows.
 */
function reportApp(): void {
  type Row = unknown[];
  interface Data {
    columns: string[];
    profileColumns: string[];
    severities: string[];
    accountNames: Record<string, string>;
    strings: string[];
    profiles: number[][];
    shapes: string[][];
    rows: Row[];
  }
  const source = document.getElementById('report-data');
  const data = JSON.parse(source?.textContent ?? '{}') as Data;
  const col: Record<string, number> = {};
  data.columns.forEach((name, i) => {
    col[name] = i;
  });
  const profileCol: Record<string, number> = {};
  data.profileColumns.forEach((name, i) => {
    profileCol[name] = i;
  });
  const str = data.strings;
  const rows = data.rows;
  const PAGE_SIZES = [50, 100, 250, 500];

  const num = (row: Row, name: string): number => row[col[name] as number] as number;
  /** The string-table index of a field, from the row or from the rule profile it names. */
  const ref = (row: Row, name: string): number => {
    const p = profileCol[name];
    if (p === undefined) return num(row, name);
    return (data.profiles[num(row, 'profile')] as number[])[p] as number;
  };
  const text = (row: Row, name: string): string => {
    const i = ref(row, name);
    return i < 0 ? '' : (str[i] as string);
  };
  const severity = (row: Row): string => data.severities[num(row, 'severity')] as string;
  const resourceName = (row: Row): string => {
    const arn = text(row, 'arn');
    const parts = arn.split(':');
    const name = parts[0] === 'arn' && parts.length > 5 ? parts.slice(5).join(':') : arn;
    const sub = text(row, 'sub');
    return sub ? `${name} · ${sub}` : name;
  };
  const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  const state = {
    severities: new Set(data.severities),
    rule: '',
    account: '',
    type: '',
    status: '',
    query: '',
    sortKey: 'severity',
    sortDir: 1,
    page: 0,
    pageSize: 100,
    expanded: new Set<number>(),
  };
  let view: number[] = [];
  let haystacks: string[] | undefined;

  const sortValue: Record<string, (row: Row) => string | number> = {
    rule: (row) => text(row, 'rule'),
    resource: (row) => resourceName(row),
    type: (row) => text(row, 'type'),
    account: (row) => text(row, 'account'),
    reason: (row) => row[col.reason as number] as string,
  };

  function haystack(i: number): string {
    if (!haystacks) {
      haystacks = rows.map((row) =>
        [
          row[col.reason as number],
          text(row, 'arn'),
          text(row, 'sub'),
          text(row, 'rule'),
          text(row, 'title'),
          text(row, 'account'),
          text(row, 'region'),
          row[col.id as number],
        ]
          .join('\n')
          .toLowerCase(),
      );
    }
    return haystacks[i] as string;
  }

  function applyFilters(): void {
    const query = state.query.trim().toLowerCase();
    // -1: no filter; -2: a value no finding has (an account without findings), which matches none.
    const wanted = (value: string): number =>
      value === '' ? -1 : str.indexOf(value) === -1 ? -2 : str.indexOf(value);
    const rule = wanted(state.rule);
    const account = wanted(state.account);
    const type = wanted(state.type);
    const next: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (!state.severities.has(severity(row))) continue;
      if (rule !== -1 && ref(row, 'rule') !== rule) continue;
      if (account !== -1 && ref(row, 'account') !== account) continue;
      if (type !== -1 && ref(row, 'type') !== type) continue;
      const suppressed = row[col.suppression as number] !== 0;
      if (state.status === 'active' && suppressed) continue;
      if (state.status === 'suppressed' && !suppressed) continue;
      if (query && !haystack(i).includes(query)) continue;
      next.push(i);
    }
    // The data comes in risk order: sorting by severity is that order (or its reverse).
    if (state.sortKey !== 'severity') {
      const value = sortValue[state.sortKey] as (row: Row) => string | number;
      const keys = new Map<number, string | number>();
      for (const i of next) keys.set(i, value(rows[i] as Row));
      next.sort((a, b) => {
        const ka = keys.get(a) as string | number;
        const kb = keys.get(b) as string | number;
        return (ka < kb ? -1 : ka > kb ? 1 : a - b) * state.sortDir;
      });
    } else if (state.sortDir < 0) {
      next.reverse();
    }
    view = next;
    state.page = 0;
    render();
  }

  function detailHtml(row: Row): string {
    const evidence = row[col.evidence as number] as unknown[];
    const keys = data.shapes[evidence[0] as number] as string[];
    const evidenceRows = keys
      .map((key, k) => {
        const value = evidence[k + 1];
        const shown = typeof value === 'string' ? value : JSON.stringify(value, null, 1);
        return `<dt>${escapeHtml(key)}</dt><dd><pre>${escapeHtml(shown)}</pre></dd>`;
      })
      .join('');
    const suppression = row[col.suppression as number];
    const fields: [string, string][] = [
      ['Finding id', row[col.id as number] as string],
      ['Rule', `${text(row, 'rule')}: ${text(row, 'title')}`],
      ['Resource', text(row, 'arn')],
      ['Sub-resource', text(row, 'sub')],
      ['Region', text(row, 'region')],
      [
        'Severity',
        `${severity(row)} (rule: ${data.severities[num(row, 'baseSeverity')]}, risk score ${num(row, 'risk')})`,
      ],
      ['Result', text(row, 'result')],
      ['Compliance', text(row, 'compliance')],
      [
        'Remediation',
        `${text(row, 'remediation')}${text(row, 'action') ? ` (action: ${text(row, 'action')})` : ''}`,
      ],
    ];
    if (Array.isArray(suppression)) {
      const [reason, owner, expires] = suppression as number[];
      fields.push([
        'Suppressed',
        `${str[reason as number]} (owner ${str[owner as number]}, until ${str[expires as number]})`,
      ]);
    }
    const attestation = row[col.attestation as number];
    if (Array.isArray(attestation)) {
      const [by, campaign, until, justification] = attestation as [number, number, number, string];
      fields.push([
        'Kept in review',
        `${justification} (by ${str[by]} in ${str[campaign]}, until ${(str[until] as string).slice(0, 10)})`,
      ]);
    }
    const list = fields
      .filter(([, value]) => value !== '')
      .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
      .join('');
    return `<dl>${list}<dt>Evidence</dt><dd><dl class="evidence">${evidenceRows || '<dd>none</dd>'}</dl></dd></dl>`;
  }

  function render(): void {
    const body = document.querySelector('#findings tbody') as HTMLTableSectionElement;
    const pages = Math.max(1, Math.ceil(view.length / state.pageSize));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * state.pageSize;
    const end = Math.min(view.length, start + state.pageSize);
    const html: string[] = [];
    for (let k = start; k < end; k++) {
      const i = view[k] as number;
      const row = rows[i] as Row;
      const sev = severity(row);
      const suppressed = row[col.suppression as number] !== 0;
      const open = state.expanded.has(i);
      html.push(
        `<tr class="row${suppressed ? ' suppressed' : ''}" data-row="${i}" tabindex="0" aria-expanded="${open}">` +
          `<td><span class="badge sev-${sev}">${sev}</span>${suppressed ? ' suppressed' : ''}</td>` +
          `<td>${escapeHtml(text(row, 'rule'))}</td>` +
          `<td class="res" title="${escapeHtml(text(row, 'arn'))}">${escapeHtml(resourceName(row))}</td>` +
          `<td>${escapeHtml(text(row, 'type'))}</td>` +
          `<td>${escapeHtml(text(row, 'account'))}</td>` +
          `<td>${escapeHtml(row[col.reason as number] as string)}</td></tr>`,
      );
      if (open)
        html.push(`<tr class="detail" data-detail="${i}"><td colspan="6">${detailHtml(row)}</td></tr>`);
    }
    if (html.length === 0) html.push('<tr><td colspan="6">No findings match the filters.</td></tr>');
    body.innerHTML = html.join('');

    const count = document.getElementById('row-count') as HTMLElement;
    count.textContent =
      view.length === rows.length
        ? `${rows.length.toLocaleString('en-US')} findings`
        : `${view.length.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} findings match`;
    const pager = document.getElementById('pager') as HTMLElement;
    pager.innerHTML =
      `<button type="button" data-page="first"${state.page === 0 ? ' disabled' : ''}>« First</button>` +
      `<button type="button" data-page="prev"${state.page === 0 ? ' disabled' : ''}>‹ Previous</button>` +
      `<span id="page-info">${(view.length === 0 ? 0 : start + 1).toLocaleString('en-US')}–${end.toLocaleString('en-US')} of ${view.length.toLocaleString('en-US')} · page ${state.page + 1} of ${pages}</span>` +
      `<button type="button" data-page="next"${state.page >= pages - 1 ? ' disabled' : ''}>Next ›</button>` +
      `<button type="button" data-page="last"${state.page >= pages - 1 ? ' disabled' : ''}>Last »</button>` +
      `<label>Rows per page <select id="page-size">${PAGE_SIZES.map((n) => `<option${n === state.pageSize ? ' selected' : ''}>${n}</option>`).join('')}</select></label>`;
    document.querySelectorAll<HTMLElement>('#findings th[data-sort]').forEach((th) => {
      if (th.dataset.sort === state.sortKey) {
        th.setAttribute('aria-sort', state.sortDir > 0 ? 'ascending' : 'descending');
      } else {
        th.removeAttribute('aria-sort');
      }
    });
  }

  document.querySelectorAll<HTMLInputElement>('#filters input[data-severity]').forEach((box) => {
    box.addEventListener('change', () => {
      if (box.checked) state.severities.add(box.dataset.severity as string);
      else state.severities.delete(box.dataset.severity as string);
      applyFilters();
    });
  });
  const selects: [string, 'rule' | 'account' | 'type' | 'status'][] = [
    ['filter-rule', 'rule'],
    ['filter-account', 'account'],
    ['filter-type', 'type'],
    ['filter-status', 'status'],
  ];
  for (const [id, key] of selects) {
    const select = document.getElementById(id) as HTMLSelectElement;
    select.addEventListener('change', () => {
      state[key] = select.value;
      applyFilters();
    });
  }
  const search = document.getElementById('filter-text') as HTMLInputElement;
  let timer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      state.query = search.value;
      applyFilters();
    }, 150);
  });
  document.querySelectorAll<HTMLElement>('#findings th[data-sort]').forEach((th) => {
    th.addEventListener('click', () => {
      const key = th.dataset.sort as string;
      state.sortDir = state.sortKey === key ? -state.sortDir : 1;
      state.sortKey = key;
      applyFilters();
    });
  });
  const tbody = document.querySelector('#findings tbody') as HTMLElement;
  function toggle(tr: HTMLElement, keepFocus: boolean): void {
    const i = Number(tr.dataset.row);
    if (state.expanded.has(i)) state.expanded.delete(i);
    else state.expanded.add(i);
    render();
    // The rows are drawn anew: a keyboard user stays on the row they toggled.
    if (keepFocus) (tbody.querySelector(`tr.row[data-row="${i}"]`) as HTMLElement | null)?.focus();
  }
  tbody.addEventListener('click', (event) => {
    const tr = (event.target as HTMLElement).closest('tr.row') as HTMLElement | null;
    if (tr) toggle(tr, false);
  });
  tbody.addEventListener('keydown', (event) => {
    const tr = (event.target as HTMLElement).closest('tr.row') as HTMLElement | null;
    if (!tr || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    toggle(tr, true);
  });
  const pager = document.getElementById('pager') as HTMLElement;
  pager.addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest('button[data-page]') as HTMLElement | null;
    if (!button) return;
    const pages = Math.max(1, Math.ceil(view.length / state.pageSize));
    const moves: Record<string, number> = {
      first: 0,
      prev: state.page - 1,
      next: state.page + 1,
      last: pages - 1,
    };
    state.page = Math.max(0, Math.min(pages - 1, moves[button.dataset.page as string] ?? state.page));
    render();
  });
  pager.addEventListener('change', (event) => {
    const select = event.target as HTMLSelectElement;
    if (select.id !== 'page-size') return;
    const first = state.page * state.pageSize;
    state.pageSize = Number(select.value);
    state.page = Math.floor(first / state.pageSize);
    render();
  });

  applyFilters();
}

/**
 * The page's script: `reportApp`'s source, called once the document above it is parsed. A
 * transpiler that keeps function names (esbuild's keepNames, as tsx runs the CLI from source)
 * wraps inner functions in `__name(fn, "name")`; the page defines that as a no-op, so the source
 * runs the same whichever way it was compiled.
 */
export const HTML_SCRIPT = `(function(){var __name=function(f){return f};(${reportApp.toString()})();})();`;
