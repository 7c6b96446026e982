// The console's API as the front end calls it: JSON in and out, the management token (when the
// operator gave one) on mutating calls, an error answer thrown with the server's message.

const TOKEN_KEY = 'sluice.console.token';

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value: string): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function get<T>(path: string): Promise<T> {
  return call<T>('GET', path);
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return call<T>('POST', path, body);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && token()) headers.authorization = `Bearer ${token()}`;
  const response = await fetch(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const message =
      (parsed && typeof parsed === 'object' && 'message' in parsed
        ? String((parsed as { message: unknown }).message)
        : text) || response.statusText;
    throw new ApiError(`${response.status}: ${message}`, response.status);
  }
  return parsed as T;
}

export const enc = encodeURIComponent;
