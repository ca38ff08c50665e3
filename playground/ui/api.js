// A small client for the server's JSON API. Errors come back as ApiError
// with the server's code, message and (for scenarios) located problems.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'error';
    this.problems = e.problems || null;
    this.retryAfter = e.retry_after || 0;
  }
}

let token = localStorage.getItem('terrarium-token') || '';

export function setToken(t) {
  token = t;
  localStorage.setItem('terrarium-token', t);
}

// api calls METHOD /api/v1+path. body: an object (sent as JSON), an
// ArrayBuffer (sent raw with ctype) or undefined. as: 'json' or 'text'.
export async function api(method, path, body, ctype, as = 'json') {
  const opts = { method, headers: {} };
  if (token && method !== 'GET') opts.headers.Authorization = `Bearer ${token}`;
  if (body instanceof ArrayBuffer) {
    opts.body = body;
    opts.headers['Content-Type'] = ctype || 'application/octet-stream';
  } else if (body !== undefined) {
    opts.body = JSON.stringify(body);
    opts.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`/api/v1${path}`, opts);
  if (!res.ok) {
    let b = null;
    try { b = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, b);
  }
  if (res.status === 204) return null;
  return as === 'text' ? res.text() : res.json();
}
