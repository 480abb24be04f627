// The request log of the offboarding benchmark: every HTTP call Helios makes to the simulators
// (Google through the integration's `fetchImplementation`, Graph through the global fetch), with
// its method, path, the fields of its body (with the values that name a user or target) and the
// answer's status; `$batch` sub-requests are
// logged one by one with their own status. Token and discovery requests are left out.

/** A fetch wrapper that logs calls to the named hosts; `summary()` counts them and finds duplicates. */
export function callLog() {
  const hosts = new Map();
  let entries = [];
  const original = globalThis.fetch;

  // The body's field names, with the values of the fields that name a user or a target (ids,
  // e-mail addresses: a Data Transfer names its user in the body, not the path); other values
  // (a generated password...) are left out, so a retried write with a new value still counts.
  const NAMING = /(^id$|Id$|email|Email|address|Address|userKey|emailAddress)/;
  const keyOfBody = (parsed) =>
    parsed && typeof parsed === 'object'
      ? Object.keys(parsed)
          .sort()
          .map((k) =>
            NAMING.test(k) && (typeof parsed[k] === 'string' || typeof parsed[k] === 'number')
              ? `${k}=${parsed[k]}`
              : k,
          )
          .join(',')
      : '';
  const fieldsOf = (body) => {
    if (typeof body !== 'string' || body === '') return '';
    try {
      return keyOfBody(JSON.parse(body));
    } catch {
      return '';
    }
  };
  const isApi = (cloud, path) =>
    cloud === 'microsoft'
      ? path.startsWith('/v1.0/') || path.startsWith('/beta/')
      : !path.endsWith('/token');

  /** Whether an answer is a quota refusal (Google: 403 usageLimits; Graph: 429). */
  const refused = (cloud, status, text) =>
    status === 429 ||
    (cloud === 'google' &&
      status === 403 &&
      /rateLimitExceeded|userRateLimitExceeded|quotaExceeded/.test(text));

  async function logged(input, init = {}) {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const cloud = hosts.get(url.host);
    if (!cloud || !isApi(cloud, url.pathname)) return original(input, init);
    const method = (
      init.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')
    ).toUpperCase();
    let body = typeof init.body === 'string' ? init.body : '';
    if (!body && typeof input === 'object' && input instanceof Request && input.body)
      body = await input.clone().text();
    const response = await original(input, init);
    const batch = cloud === 'microsoft' && url.pathname.endsWith('/$batch');
    const needText = batch || response.status === 403 || response.status === 429;
    const text = needText ? await response.clone().text() : '';
    if (batch) {
      let requests = [];
      let responses = [];
      try {
        requests = JSON.parse(body).requests ?? [];
        responses = JSON.parse(text).responses ?? [];
      } catch {}
      const statusOf = new Map(responses.map((r) => [String(r.id), r.status]));
      for (const r of requests) {
        const sub = new URL(r.url.startsWith('/') ? r.url : `/${r.url}`, 'http://x');
        const status = statusOf.get(String(r.id)) ?? 0;
        entries.push({
          cloud,
          method: String(r.method ?? 'GET').toUpperCase(),
          path: `/v1.0${sub.pathname}`,
          fields: keyOfBody(r.body),
          status,
          refused: status === 429,
        });
      }
    } else {
      entries.push({
        cloud,
        method,
        path: url.pathname,
        fields: fieldsOf(body),
        status: response.status,
        refused: refused(cloud, response.status, text),
      });
    }
    return response;
  }

  return {
    /** Logs calls to `host` (host:port) under `cloud`. */
    name(host, cloud) {
      hosts.set(host, cloud);
    },
    fetch: logged,
    /** Routes the global fetch through the log (Graph's client uses it). */
    patchGlobal() {
      globalThis.fetch = logged;
    },
    reset() {
      entries = [];
    },
    /**
     * Per cloud: calls answered, refused by a quota, writes answered and refused; and the
     * duplicates: writes answered 2xx more than once with the same method, path and body fields.
     */
    summary() {
      const per = {};
      const seen = new Map();
      for (const e of entries) {
        per[e.cloud] ??= { answered: 0, rateLimited: 0, writesAnswered: 0, writesThrottled: 0 };
        const p = per[e.cloud];
        p.answered++;
        if (e.refused) p.rateLimited++;
        if (e.method !== 'GET') {
          p.writesAnswered++;
          if (e.refused) p.writesThrottled++;
          if (e.status >= 200 && e.status < 300) {
            const key = `${e.cloud} ${e.method} ${e.path} {${e.fields}}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          }
        }
      }
      const empty = { answered: 0, rateLimited: 0, writesAnswered: 0, writesThrottled: 0 };
      return {
        google: per.google ?? empty,
        microsoft: per.microsoft ?? empty,
        duplicates: [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`),
        entries: entries.length,
      };
    },
  };
}
