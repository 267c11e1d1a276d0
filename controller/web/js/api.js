// SPDX-License-Identifier: GPL-2.0
// The controller's API as the dashboard uses it: the token (kept in this
// tab's sessionStorage, sent as "Authorization: Bearer TOKEN" like every
// operator request), JSON calls, the operator's role, the event stream.

const TOKEN_KEY = 'xmesh.token';
const SITE_KEY = 'xmesh.site';

export const ROLES = ['read-only', 'operator', 'admin'];

export function savedToken() {
	return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(t) {
	sessionStorage.setItem(TOKEN_KEY, t);
}

export function forgetToken() {
	sessionStorage.removeItem(TOKEN_KEY);
}

// The site shown (Documentation/controller.md, "Sites"), kept in this tab
// with the token: "default" until another one is chosen.
export function site() {
	return sessionStorage.getItem(SITE_KEY) || 'default';
}

export function setSite(name) {
	sessionStorage.setItem(SITE_KEY, name);
}

// path on the site shown: /api/v1/X as /api/v1/sites/SITE/X (the list of
// the sites is no site's).
export function sitePath(path) {
	const s = site();

	if (s === 'default' || !path.startsWith('/api/v1/') ||
	    path === '/api/v1/sites')
		return path;
	return `/api/v1/sites/${encodeURIComponent(s)}${path.slice(7)}`;
}

// A refusal of the API: its {"error": {status, location, reason}}.
export class ApiError extends Error {
	constructor(status, location, reason) {
		super(`${status} ${location}: ${reason}`);
		this.status = status;
		this.location = location;
		this.reason = reason;
	}
}

export async function call(method, path, body) {
	const headers = { Authorization: `Bearer ${savedToken() || ''}` };
	const init = { method, headers, cache: 'no-store' };

	if (body !== undefined) {
		headers['Content-Type'] = typeof body === 'string' ?
			'text/plain' : 'application/json';
		init.body = typeof body === 'string' ? body :
			JSON.stringify(body);
	}
	const r = await fetch(sitePath(path), init);
	const text = await r.text();
	let j = null;

	try {
		j = text ? JSON.parse(text) : null;
	} catch (e) {
		j = null;
	}
	if (!r.ok) {
		const e = j && j.error ? j.error : {};

		throw new ApiError(r.status, e.location || 'path',
				   e.reason || r.statusText);
	}
	return j;
}

export const get = (path) => call('GET', path);

/*
 * Every entry of a list (j[key]) that the controller may answer in pages:
 * while an answer has "next", ask again with it as cursor (the list's
 * "after" or "before" parameter), up to max entries.
 */
export async function getAll(path, key, cursor, max = 5000) {
	const all = [];
	let j = await get(path);

	for (;;) {
		all.push(...(j[key] || []));
		if (!j.next || all.length >= max)
			return all;
		const sep = path.includes('?') ? '&' : '?';

		j = await get(`${path}${sep}${cursor}=${j.next}`);
	}
}

/*
 * The token's role. The API has no "who am I": a request a role may not
 * make is refused at its headers (403), before its body is looked at,
 * while one it may make is refused here as bad input (400). Neither of
 * the two probes below can change anything.
 */
export async function probeRole() {
	const may = async (method, path) => {
		try {
			await call(method, path, '');
		} catch (e) {
			if (e.status === 403)
				return false;
			if (e.status === 401)
				throw e;
		}
		return true;
	};

	await get('/api/v1/policy/history');	// 401 if unknown
	if (!await may('PUT', '/api/v1/policy?expect=probe'))
		return 'read-only';
	if (!await may('POST', '/api/v1/tokens'))
		return 'operator';
	return 'admin';
}

/*
 * The sites the token reaches (GET /api/v1/sites: [{name, default, role,
 * version}]), [] from a controller that has no such list (one site). A
 * token known nowhere: the ApiError (401).
 */
export async function sites() {
	try {
		return (await get('/api/v1/sites')).sites || [];
	} catch (e) {
		if (e.status === 401)
			throw e;
		return [];
	}
}

export function roleAtLeast(role, need) {
	return ROLES.indexOf(role) >= ROLES.indexOf(need);
}

/*
 * GET /api/v1/events/stream read with fetch (EventSource cannot send the
 * Authorization header): onEvent(kind, data, id) per event; reconnects
 * after a pause with Last-Event-ID. onState(true|false) says whether it
 * is connected. Returns a function that stops it.
 */
export function stream(onEvent, onState) {
	let stopped = false, lastId = null, ctl = null;

	const once = async () => {
		ctl = new AbortController();
		const headers = { Authorization: `Bearer ${savedToken()}`,
				  Accept: 'text/event-stream' };

		if (lastId !== null)
			headers['Last-Event-ID'] = lastId;
		const r = await fetch(sitePath('/api/v1/events/stream'),
				      { headers, signal: ctl.signal,
					cache: 'no-store' });
		if (!r.ok || !r.body)
			throw new ApiError(r.status, 'path', r.statusText);
		onState(true);
		const reader = r.body.pipeThrough(new TextDecoderStream())
			.getReader();
		let buf = '';

		for (;;) {
			const { value, done } = await reader.read();

			if (done)
				break;
			buf += value.replace(/\r\n?/g, '\n');
			let end;

			while ((end = buf.indexOf('\n\n')) >= 0) {
				const block = buf.slice(0, end);
				let kind = 'message', data = [], id = null;

				buf = buf.slice(end + 2);
				for (const line of block.split('\n')) {
					const c = line.indexOf(':');
					const f = c < 0 ? line : line.slice(0, c);
					let v = c < 0 ? '' : line.slice(c + 1);

					if (v.startsWith(' '))
						v = v.slice(1);
					if (f === 'event')
						kind = v;
					else if (f === 'data')
						data.push(v);
					else if (f === 'id')
						id = v;
				}
				if (id !== null)
					lastId = id;
				if (!data.length)
					continue;
				let d;

				try {
					d = JSON.parse(data.join('\n'));
				} catch (e) {
					continue;
				}
				onEvent(kind, d, id);
			}
		}
	};
	const loop = async () => {
		while (!stopped) {
			try {
				await once();
			} catch (e) {
				// stopped, refused or cut: retry below
			}
			onState(false);
			if (!stopped)
				await new Promise((res) => setTimeout(res, 3000));
		}
	};

	loop();
	return () => {
		stopped = true;
		if (ctl)
			ctl.abort();
	};
}
