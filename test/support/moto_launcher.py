#!/usr/bin/env python3
"""Local AWS backend for iam-posture integration tests: moto's server plus test-only hooks.

Usage:
    python3 test/support/moto_launcher.py --port 0 [--host 127.0.0.1] [--watch-stdin]
                                          [--aws-managed-policies] [--enforce-assume-role]
                                          [--verbose]

Serves moto 5.2.x (every service moto implements, exactly as `python3 -m moto.server`) and,
under /_iam_posture/, a few TEST-ONLY JSON endpoints that backdate what moto only records at
real time, by editing moto's in-memory models directly:

    GET  /_iam_posture/health
    POST /_iam_posture/role                {roleName, createDate?, lastUsedDate?, lastUsedRegion?}
    POST /_iam_posture/user                {userName, createDate?, passwordLastUsed?,
                                            loginProfileCreateDate?}
    POST /_iam_posture/access-key          {accessKeyId, userName?, createDate?, lastUsedDate?,
                                            lastUsedService?, lastUsedRegion?, status?}
    POST /_iam_posture/secret              {secretId, region?, createdDate?, lastAccessedDate?,
                                            lastRotatedDate?, lastChangedDate?, nextRotationDate?}
    POST /_iam_posture/server-certificate  {serverCertificateName, uploadDate?, expiration?}

Every body may carry `accountId` (default: moto's 123456789012). Dates are ISO-8601 strings
with an explicit offset (e.g. `2024-01-02T03:04:05Z`). A field left out is left unchanged; a
nullable field set to null clears the value (e.g. a role that was never used). Each endpoint
answers 200 with the resulting values, 400 for a bad body, 404 for an unknown resource.
Reset all state with moto's own `POST /moto-api/reset`: the hooks keep nothing outside moto's
models, so the reset clears them too.

Where moto does not keep a value at all, a small patch below makes its responses read it:
  - Secrets Manager: moto always answers LastAccessedDate null, and hides LastRotatedDate
    unless RotateSecret was called.
  - IAM server certificates: moto answers a fixed UploadDate (2010-05-08) and Expiration
    (2012-05-08) for every certificate; a backdated certificate answers its own dates.
  - IAM login profile: moto reports the user's CreateDate as the profile's CreateDate and as
    `password_last_changed` in the credential report; a backdated profile reports its own.
  - Credential report: moto writes `not_supported` for access_key_N_last_used_region/service;
    the patch writes the region and service moto (or a hook) recorded for the key.
Everything else is moto unchanged, quirks included.

With --enforce-assume-role, STS AssumeRole fails as real STS does when the role does not exist
in its account's IAM: HTTP 403, error code AccessDenied, message "User: <caller ARN> is not
authorized to perform: sts:AssumeRole on resource: <role ARN>", in STS's XML error shape. moto
itself hands out credentials for any role ARN, existing or not (it is how it switches accounts),
so without the flag a missing member role could never be told from a present one. Only the
role's existence is checked, not its trust policy nor an external id.

Lifecycle: prints `IAM_POSTURE_MOTO_READY <endpoint>` on stdout once the socket is listening
(with `--port 0` the OS picks a free port and the line names it). Exits on SIGTERM/SIGINT,
when the parent process dies, and, with --watch-stdin, when stdin reaches end-of-file (the
parent closed the pipe or died).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import wraps
from typing import Any

READY_PREFIX = "IAM_POSTURE_MOTO_READY"
HOOK_PREFIX = "/_iam_posture/"
DEFAULT_ACCOUNT_ID = "123456789012"
SUPPORTED_MOTO = "5.2."
INSTALL_HINT = "Install it with: python3 -m pip install 'moto[server]==5.2.1'"

# Sentinel for "field not present in the request body" (null is a meaningful value).
MISSING = object()


class HookError(Exception):
    """A hook request that cannot be applied; `status` becomes the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------
# Value parsing and formatting
# ---------------------------------------------------------------------------------------------


def parse_date(body: dict[str, Any], field: str, nullable: bool) -> Any:
    """Return MISSING, None (only if nullable) or an aware UTC datetime for body[field]."""
    if field not in body:
        return MISSING
    value = body[field]
    if value is None:
        if nullable:
            return None
        raise HookError(400, f"{field} cannot be null")
    if not isinstance(value, str):
        raise HookError(400, f"{field} must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HookError(400, f"{field} is not an ISO-8601 date: {value!r}") from None
    if parsed.tzinfo is None:
        raise HookError(400, f"{field} must carry a timezone offset (e.g. Z): {value!r}")
    return parsed.astimezone(timezone.utc)


def naive_utc(value: datetime) -> datetime:
    """moto keeps IAM datetimes naive in UTC (moto.core.utils.utcnow); match that."""
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def epoch_seconds(value: datetime) -> int | float:
    """Secrets Manager models keep epoch seconds; keep an int when there is no fraction."""
    seconds = value.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


def iso(value: Any) -> str | None:
    """Format a moto value (naive-UTC datetime, epoch seconds, or None) as ISO-8601 UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, (int, float)):
        return iso(datetime.fromtimestamp(value, tz=timezone.utc))
    return str(value)


def require_str(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise HookError(400, f"{field} is required (non-empty string)")
    return value


def optional_str(body: dict[str, Any], field: str) -> Any:
    if field not in body:
        return MISSING
    value = body[field]
    if value is not None and not isinstance(value, str):
        raise HookError(400, f"{field} must be a string or null")
    return value


def account_of(body: dict[str, Any]) -> str:
    account_id = body.get("accountId", DEFAULT_ACCOUNT_ID)
    if not isinstance(account_id, str) or len(account_id) != 12 or not account_id.isdigit():
        raise HookError(400, f"accountId must be 12 digits, got {account_id!r}")
    return account_id


def reject_unknown_fields(body: dict[str, Any], allowed: set[str]) -> None:
    """A misspelt field would otherwise be ignored silently and the test would pass for the
    wrong reason."""
    unknown = sorted(set(body) - allowed - {"accountId"})
    if unknown:
        raise HookError(400, f"unknown field(s): {', '.join(unknown)}")


# ---------------------------------------------------------------------------------------------
# Patches: make moto's responses read values it does not keep itself
# ---------------------------------------------------------------------------------------------

# Attribute names we add to moto's model objects. They live on the models, so moto's reset
# (which rebuilds every backend) drops them with everything else.
ATTR_LOGIN_PROFILE_CREATE_DATE = "_iam_posture_login_profile_create_date"
ATTR_SECRET_LAST_ACCESSED = "_iam_posture_last_accessed_date"
ATTR_CERT_UPLOAD_DATE = "_iam_posture_upload_date"
ATTR_CERT_EXPIRATION = "_iam_posture_expiration"

# Credential report columns after `user` and `arn` (which may contain commas: IAM names allow
# them). The 20 trailing columns never contain commas, so we index from the right.
REPORT_TAIL_COLUMNS = [
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]
REPORT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"  # the format moto (and AWS) use in the report


def install_patches() -> None:
    from moto.iam.models import AccessKeyLastUsed, IAMBackend, User
    from moto.iam.responses import IamResponse
    from moto.secretsmanager.models import FakeSecret

    # --- Credential report rows ------------------------------------------------------------
    original_to_csv = User.to_csv

    @wraps(original_to_csv)
    def to_csv(self: Any) -> str:
        row = original_to_csv(self)
        cells = row.rstrip("\n").split(",")
        head, tail = cells[: -len(REPORT_TAIL_COLUMNS)], cells[-len(REPORT_TAIL_COLUMNS) :]
        column = {name: index for index, name in enumerate(REPORT_TAIL_COLUMNS)}
        profile_created = getattr(self, ATTR_LOGIN_PROFILE_CREATE_DATE, None)
        if self.password and profile_created is not None:
            tail[column["password_last_changed"]] = profile_created.strftime(REPORT_DATE_FORMAT)
        for number, key in enumerate(self.access_keys[:2], start=1):
            if isinstance(key.last_used, AccessKeyLastUsed):
                tail[column[f"access_key_{number}_last_used_region"]] = key.last_used.region or "N/A"
                tail[column[f"access_key_{number}_last_used_service"]] = key.last_used.service or "N/A"
        return ",".join(head + tail) + "\n"

    User.to_csv = to_csv

    # --- Login profile CreateDate ------------------------------------------------------------
    def with_profile_date(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @wraps(original)
        def patched(self: Any) -> Any:
            result = original(self)
            profile = result.result.get("LoginProfile") if hasattr(result, "result") else None
            if isinstance(profile, dict):
                user = self.backend.get_user(profile["UserName"])
                created = getattr(user, ATTR_LOGIN_PROFILE_CREATE_DATE, None)
                if created is not None:
                    profile["CreateDate"] = created
            return result

        return patched

    IamResponse.get_login_profile = with_profile_date(IamResponse.get_login_profile)
    IamResponse.create_login_profile = with_profile_date(IamResponse.create_login_profile)

    original_delete_login_profile = IAMBackend.delete_login_profile

    @wraps(original_delete_login_profile)
    def delete_login_profile(self: Any, user_name: str) -> None:
        original_delete_login_profile(self, user_name)
        # A later CreateLoginProfile is a new profile: forget the backdated date.
        setattr(self.get_user(user_name), ATTR_LOGIN_PROFILE_CREATE_DATE, None)

    IAMBackend.delete_login_profile = delete_login_profile

    # --- Server certificate UploadDate / Expiration --------------------------------------------
    def with_cert_dates(metadata: dict[str, Any], backend: Any) -> None:
        cert = backend.get_server_certificate(metadata["ServerCertificateName"])
        upload = getattr(cert, ATTR_CERT_UPLOAD_DATE, None)
        expiration = getattr(cert, ATTR_CERT_EXPIRATION, None)
        if upload is not None:
            metadata["UploadDate"] = upload
        if expiration is not None:
            metadata["Expiration"] = expiration

    original_list_certs = IamResponse.list_server_certificates

    @wraps(original_list_certs)
    def list_server_certificates(self: Any) -> Any:
        result = original_list_certs(self)
        for metadata in result.result["ServerCertificateMetadataList"]:
            with_cert_dates(metadata, self.backend)
        return result

    original_get_cert = IamResponse.get_server_certificate

    @wraps(original_get_cert)
    def get_server_certificate(self: Any) -> Any:
        result = original_get_cert(self)
        with_cert_dates(result.result["ServerCertificate"]["ServerCertificateMetadata"], self.backend)
        return result

    IamResponse.list_server_certificates = list_server_certificates
    IamResponse.get_server_certificate = get_server_certificate

    # --- Secrets Manager LastAccessedDate / LastRotatedDate ------------------------------------
    original_to_dict = FakeSecret.to_dict

    @wraps(original_to_dict)
    def secret_to_dict(self: Any) -> dict[str, Any]:
        dct = original_to_dict(self)
        last_accessed = getattr(self, ATTR_SECRET_LAST_ACCESSED, None)
        if last_accessed is not None:
            dct["LastAccessedDate"] = last_accessed
        # moto shows LastRotatedDate only after RotateSecret; a backdated rotation shows too.
        if self.last_rotation_date is not None and "LastRotatedDate" not in dct:
            dct["LastRotatedDate"] = self.last_rotation_date
        return dct

    FakeSecret.to_dict = secret_to_dict


STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"


def enforce_assume_role() -> None:
    """AssumeRole of a role that does not exist is AccessDenied (403), as in real STS."""
    import uuid
    from xml.sax.saxutils import escape

    from moto.iam.models import iam_backends
    from moto.sts.responses import TokenResponse
    from werkzeug.exceptions import HTTPException

    class AssumeRoleDenied(HTTPException):
        code = 403

        def __init__(self, message: str) -> None:
            super().__init__()
            self.description = (
                f'<ErrorResponse xmlns="{STS_XMLNS}"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            )

        def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            return [("Content-Type", "text/xml"), ("X-Amzn-ErrorType", "AccessDenied")]

        def get_body(self, *args: Any, **kwargs: Any) -> str:
            return self.description or ""

    original_assume_role = TokenResponse.assume_role

    @wraps(original_assume_role)
    def assume_role(self: Any) -> Any:
        role_arn = self._get_param("RoleArn") or ""
        parts = role_arn.split(":", 5)
        exists = False
        if len(parts) == 6 and parts[4].isdigit() and parts[5].startswith("role/"):
            name = parts[5].rsplit("/", 1)[-1]
            backend = iam_backends[parts[4]][parts[1] or "aws"]
            exists = any(role.name == name for role in backend.roles.values())
        if not exists:
            try:
                _, caller_arn, _ = self.backend.get_caller_identity(self.get_access_key(), self.region)
            except Exception:  # the caller is only named in the message
                caller_arn = "unknown"
            raise AssumeRoleDenied(
                f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
        return original_assume_role(self)

    TokenResponse.assume_role = assume_role


# ---------------------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------------------


def iam_backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def lookup(getter: Callable[[], Any], what: str) -> Any:
    """Call a moto getter, turning its not-found exception into a 404."""
    try:
        return getter()
    except Exception as error:  # moto raises NoSuchEntity / NotFoundException / KeyError
        raise HookError(404, f"{what} not found: {error}") from None


def hook_role(body: dict[str, Any]) -> dict[str, Any]:
    reject_unknown_fields(body, {"roleName", "createDate", "lastUsedDate", "lastUsedRegion"})
    name = require_str(body, "roleName")
    create_date = parse_date(body, "createDate", nullable=False)
    last_used = parse_date(body, "lastUsedDate", nullable=True)
    region = optional_str(body, "lastUsedRegion")
    if region is not MISSING and last_used is MISSING:
        raise HookError(400, "lastUsedRegion needs lastUsedDate")
    if last_used is None and region not in (MISSING, None):
        raise HookError(400, "lastUsedRegion must be absent or null when lastUsedDate is null")

    backend = iam_backend(account_of(body))
    role = lookup(lambda: backend.get_role(name), f"role {name}")
    if create_date is not MISSING:
        role.create_date = naive_utc(create_date)
    if last_used is None:
        role.last_used = None
        role.last_used_region = None
    elif last_used is not MISSING:
        role.last_used = naive_utc(last_used)
        role.last_used_region = None if region is MISSING else region
    return {
        "roleName": role.name,
        "arn": role.arn,
        "createDate": iso(role.create_date),
        "lastUsedDate": iso(role.last_used),
        "lastUsedRegion": role.last_used_region,
    }


def hook_user(body: dict[str, Any]) -> dict[str, Any]:
    reject_unknown_fields(body, {"userName", "createDate", "passwordLastUsed", "loginProfileCreateDate"})
    name = require_str(body, "userName")
    create_date = parse_date(body, "createDate", nullable=False)
    password_last_used = parse_date(body, "passwordLastUsed", nullable=True)
    profile_created = parse_date(body, "loginProfileCreateDate", nullable=False)

    backend = iam_backend(account_of(body))
    user = lookup(lambda: backend.get_user(name), f"user {name}")
    if profile_created is not MISSING and not user.password:
        raise HookError(409, f"user {name} has no login profile; CreateLoginProfile first")
    if create_date is not MISSING:
        user.create_date = naive_utc(create_date)
    if password_last_used is not MISSING:
        user.password_last_used = None if password_last_used is None else naive_utc(password_last_used)
    if profile_created is not MISSING:
        setattr(user, ATTR_LOGIN_PROFILE_CREATE_DATE, naive_utc(profile_created))
    return {
        "userName": user.name,
        "arn": user.arn,
        "createDate": iso(user.create_date),
        "passwordEnabled": bool(user.password),
        "passwordLastUsed": iso(user.password_last_used),
        "loginProfileCreateDate": iso(getattr(user, ATTR_LOGIN_PROFILE_CREATE_DATE, None)),
    }


def hook_access_key(body: dict[str, Any]) -> dict[str, Any]:
    from moto.iam.models import AccessKeyLastUsed

    reject_unknown_fields(
        body,
        {
            "accessKeyId",
            "userName",
            "createDate",
            "lastUsedDate",
            "lastUsedService",
            "lastUsedRegion",
            "status",
        },
    )
    key_id = require_str(body, "accessKeyId")
    user_name = optional_str(body, "userName")
    create_date = parse_date(body, "createDate", nullable=False)
    last_used = parse_date(body, "lastUsedDate", nullable=True)
    service = optional_str(body, "lastUsedService")
    region = optional_str(body, "lastUsedRegion")
    status = optional_str(body, "status")
    if status is not MISSING and status not in ("Active", "Inactive"):
        raise HookError(400, "status must be Active or Inactive")
    if (service is not MISSING or region is not MISSING) and not isinstance(last_used, datetime):
        raise HookError(400, "lastUsedService/lastUsedRegion need a non-null lastUsedDate")

    backend = iam_backend(account_of(body))
    users = (
        [lookup(lambda: backend.get_user(user_name), f"user {user_name}")]
        if isinstance(user_name, str)
        else list(backend.users.values())
    )
    key = next((k for u in users for k in u.access_keys if k.access_key_id == key_id), None)
    if key is None:
        raise HookError(404, f"access key {key_id} not found")

    if create_date is not MISSING:
        key.create_date = naive_utc(create_date)
    if last_used is None:
        key.last_used = None
    elif last_used is not MISSING:
        # moto itself records `service` as the signing name and `region` as the request region.
        key.last_used = AccessKeyLastUsed(
            timestamp=naive_utc(last_used),
            service=None if service is MISSING else service,
            region=None if region is MISSING else region,
        )
    if status is not MISSING:
        key.status = status
    last = key.last_used
    return {
        "accessKeyId": key.access_key_id,
        "userName": key.user_name,
        "status": key.status,
        "createDate": iso(key.create_date),
        "lastUsedDate": iso(last.timestamp if isinstance(last, AccessKeyLastUsed) else last),
        "lastUsedService": getattr(last, "service", None),
        "lastUsedRegion": getattr(last, "region", None),
    }


def hook_secret(body: dict[str, Any]) -> dict[str, Any]:
    from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

    reject_unknown_fields(
        body,
        {
            "secretId",
            "region",
            "createdDate",
            "lastAccessedDate",
            "lastRotatedDate",
            "lastChangedDate",
            "nextRotationDate",
        },
    )
    secret_id = require_str(body, "secretId")
    region = body.get("region", "us-east-1")
    if not isinstance(region, str) or not region:
        raise HookError(400, "region must be a non-empty string")
    created = parse_date(body, "createdDate", nullable=False)
    last_accessed = parse_date(body, "lastAccessedDate", nullable=True)
    last_rotated = parse_date(body, "lastRotatedDate", nullable=True)
    last_changed = parse_date(body, "lastChangedDate", nullable=False)
    next_rotation = parse_date(body, "nextRotationDate", nullable=True)

    try:
        backend = secretsmanager_backends[account_of(body)][region]
    except KeyError:
        raise HookError(400, f"unknown region {region!r}") from None
    secret = backend.secrets.get(secret_id)  # accepts a name, a full ARN or a partial ARN
    if secret is None:
        raise HookError(404, f"secret {secret_id} not found in {region}")
    if not isinstance(secret, FakeSecret):
        raise HookError(400, f"secret {secret_id} in {region} is a replica; backdate its primary")

    if created is not MISSING:
        secret.created_date = epoch_seconds(created)
    if last_changed is not MISSING:
        secret.last_changed_date = epoch_seconds(last_changed)
    if last_accessed is not MISSING:
        setattr(secret, ATTR_SECRET_LAST_ACCESSED, None if last_accessed is None else epoch_seconds(last_accessed))
    if last_rotated is not MISSING:
        secret.last_rotation_date = None if last_rotated is None else epoch_seconds(last_rotated)
    if next_rotation is not MISSING:
        secret.next_rotation_date = None if next_rotation is None else epoch_seconds(next_rotation)
    return {
        "name": secret.name,
        "arn": secret.arn,
        "region": region,
        "createdDate": iso(secret.created_date),
        "lastChangedDate": iso(secret.last_changed_date),
        "lastAccessedDate": iso(getattr(secret, ATTR_SECRET_LAST_ACCESSED, None)),
        "lastRotatedDate": iso(secret.last_rotation_date),
        "nextRotationDate": iso(secret.next_rotation_date),
    }


def hook_server_certificate(body: dict[str, Any]) -> dict[str, Any]:
    reject_unknown_fields(body, {"serverCertificateName", "uploadDate", "expiration"})
    name = require_str(body, "serverCertificateName")
    upload = parse_date(body, "uploadDate", nullable=False)
    expiration = parse_date(body, "expiration", nullable=False)

    backend = iam_backend(account_of(body))
    cert = lookup(lambda: backend.get_server_certificate(name), f"server certificate {name}")
    if upload is not MISSING:
        setattr(cert, ATTR_CERT_UPLOAD_DATE, naive_utc(upload))
    if expiration is not MISSING:
        setattr(cert, ATTR_CERT_EXPIRATION, naive_utc(expiration))
    return {
        "serverCertificateName": cert.cert_name,
        "arn": cert.arn,
        "uploadDate": iso(getattr(cert, ATTR_CERT_UPLOAD_DATE, None)),
        "expiration": iso(getattr(cert, ATTR_CERT_EXPIRATION, None)),
    }


HOOKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "role": hook_role,
    "user": hook_user,
    "access-key": hook_access_key,
    "secret": hook_secret,
    "server-certificate": hook_server_certificate,
}


# ---------------------------------------------------------------------------------------------
# WSGI: hooks in front of moto's dispatcher
# ---------------------------------------------------------------------------------------------


class HookedMotoApp:
    """Routes /_iam_posture/* to the hooks and everything else to moto, unchanged."""

    def __init__(self, moto_app: Any) -> None:
        self.moto_app = moto_app
        # One hook at a time, so a hook's several attribute writes are never interleaved.
        self.lock = threading.Lock()
        # moto's DynamoDB evaluates a ConditionExpression and then applies the write with no lock, so on
        # this threaded server two racing conditional writes to one item can both pass. DynamoDB
        # applies each one atomically; serializing DynamoDB requests decides the races tests make
        # the way DynamoDB does.
        self.dynamodb_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(HOOK_PREFIX):
            if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
                with self.dynamodb_lock:
                    return self.answer_whole(environ, start_response)
            return self.moto_app(environ, start_response)
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        status, payload = self.handle(request.method, path[len(HOOK_PREFIX) :], request.get_data())
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        return response(environ, start_response)

    def answer_whole(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """moto's answer, read to the end (so the request's work is done while the caller holds a lock)."""
        result = self.moto_app(environ, start_response)
        try:
            return list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def handle(self, method: str, name: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if name == "health" and method == "GET":
            import moto

            return 200, {"ok": True, "moto": moto.__version__}
        hook = HOOKS.get(name)
        if hook is None:
            return 404, {"error": f"unknown hook {name!r}; known: health, {', '.join(HOOKS)}"}
        if method != "POST":
            return 405, {"error": f"{name} takes POST"}
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            return 400, {"error": f"body is not JSON: {error}"}
        if not isinstance(body, dict):
            return 400, {"error": "body must be a JSON object"}
        try:
            with self.lock:
                return 200, hook(body)
        except HookError as error:
            return error.status, {"error": error.message}
        except Exception as error:  # a bug here, or moto internals that changed: say so in JSON
            logging.getLogger(__name__).exception("hook %s failed", name)
            return 500, {"error": f"hook {name} crashed: {type(error).__name__}: {error}"}


# ---------------------------------------------------------------------------------------------
# Process lifecycle
# ---------------------------------------------------------------------------------------------


def exit_now(reason: str) -> None:
    """Leave immediately from any thread: all state is in memory, nothing to flush."""
    try:
        print(f"iam-posture moto launcher: exiting ({reason})", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # stderr is a pipe to the parent that just died
    finally:
        os._exit(0)


def watch_parent(original_ppid: int) -> None:
    # When the parent dies the process is re-parented (to init or a subreaper).
    while True:
        time.sleep(0.5)
        if os.getppid() != original_ppid:
            exit_now("parent process died")


def watch_stdin() -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    exit_now("stdin closed")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="moto server with iam-posture test-only hooks")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches EOF")
    parser.add_argument(
        "--aws-managed-policies",
        action="store_true",
        help="load AWS managed policies (arn:aws:iam::aws:policy/...) into IAM; off by default, as in moto",
    )
    parser.add_argument(
        "--enforce-assume-role",
        action="store_true",
        help="STS AssumeRole of a role missing from its account's IAM is AccessDenied (403), as in real STS",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    if args.aws_managed_policies:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # read when IAM backends are built

    try:
        import moto
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server
    except ImportError as error:
        print(f"moto server is not importable from {sys.executable}: {error}. {INSTALL_HINT}", file=sys.stderr)
        return 3
    if not moto.__version__.startswith(SUPPORTED_MOTO):
        print(
            f"warning: moto {moto.__version__} found, hooks were written against moto 5.2.1. {INSTALL_HINT}",
            file=sys.stderr,
        )
    try:
        install_patches()
        if args.enforce_assume_role:
            enforce_assume_role()
    except (ImportError, AttributeError) as error:
        print(f"moto {moto.__version__} internals differ from 5.2.x ({error}). {INSTALL_HINT}", file=sys.stderr)
        return 3

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    moto_app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, HookedMotoApp(moto_app), threaded=True)
    port = server.server_port
    # Some moto features call back into the server (e.g. Lambda); moto.server sets this too.
    os.environ.setdefault("MOTO_PORT", str(port))

    def on_signal(signum: int, _frame: Any) -> None:
        exit_now(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    if args.watch_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()

    # The socket is bound and listening: connections made from now on queue until served.
    print(f"{READY_PREFIX} http://{args.host}:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
