export async function handler(): Promise<never> {
  throw new Error('not built in this branch');
}
