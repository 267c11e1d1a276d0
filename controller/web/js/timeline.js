// SPDX-License-Identifier: GPL-2.0
// The timeline: the controller's events (failures, recoveries, policy
// versions, the agents' own events; GET /api/v1/events, then live from
// the stream) and the remediation log (GET /api/v1/remediation/log, then
// each decision and outcome live from the stream as "remediation", the
// same entry by the same id), newest first.
//
// The stream replays events after a reconnect (Last-Event-ID) but not
// the log's entries: those the page missed while it was down are read
// again (the newest REMEDY_NEWEST) when it comes back, and while it is
// down the log is polled every REMEDY_POLL_MS, as the page's only source.
// While it is up, a read every REMEDY_LIVE_POLL_MS only: the decisions of
// another controller on the same store (the engine runs on one of a
// pair) come on that one's stream, not on this one's.

import { get, getAll } from './api.js';
import { el, fmtTime } from './ui.js';

const KEEP = 500;
const EVENT_PAGES = 50;	// of 1000 events, read at sign-in
const REMEDY_POLL_MS = 5000;
const REMEDY_LIVE_POLL_MS = 60000;
const REMEDY_NEWEST = 50;	// entries read on each poll or catch-up:
				// a decision's outcome comes within its
				// hook's timeout
const FOLLOW_ERR = 'remediation log (newest): ';
const FAILURE = new Set(['node-down', 'node-up', 'link-down', 'link-up',
			 'link-loss']);

export class Timeline {
	constructor(tbody, filter, note, names) {
		this.tbody = tbody;
		this.filter = filter;
		this.note = note;
		this.names = names;	// () => Map(node id -> name)
		this.events = new Map();	// "e<id>" / "r<id>" -> row data
		this.streamOn = false;
		// The agents' own events (kind "agent", "level: text") as a
		// choice of their own: they are no failure, nor recovery.
		if (![...filter.options].some((o) => o.value === 'agent'))
			filter.append(el('option', { value: 'agent' },
					 'agents\' own events'));
		filter.addEventListener('change', () => this.render());
	}

	add(key, row) {
		this.events.set(key, row);
	}

	// The newest KEEP rows only.
	trim() {
		if (this.events.size <= 2 * KEEP)
			return;
		const keep = [...this.events.entries()]
			.sort((a, b) => b[1].time - a[1].time).slice(0, KEEP);

		this.events = new Map(keep);
	}

	addEvent(e) {
		this.add(`e${e.id}`, { time: e.time, kind: e.kind,
				       node: e.node, peer: e.peer,
				       text: e.detail || '' });
	}

	// A remediation decision (GET /api/v1/remediation/log, or the
	// stream's "remediation"): its rule, verdict, action, how many tries,
	// and the outcome once known. The same id again (its outcome come, or
	// read both ways) replaces the row. Whether the row changed.
	addRemedy(r) {
		const was = this.events.get(`r${r.id}`);

		const what = [
			r.rule && `rule ${r.rule}`,
			r.verdict,
			r.action && `action ${r.action}`,
			r.tries ? `try ${r.tries}` : '',
			r.outcome ? `outcome: ${r.outcome}` +
				(r.outcome_time ? ` at ${fmtTime(r.outcome_time)}` : '')
				: 'outcome pending',
			r.detail,
		].filter(Boolean);

		this.add(`r${r.id}`, { time: r.time, kind: 'remediation',
				       node: r.node, peer: r.peer,
				       text: what.join(', ') });
		return !was || was.text !== this.events.get(`r${r.id}`).text;
	}

	// A decision or outcome from the stream.
	streamRemedy(r) {
		if (this.addRemedy(r)) {
			this.trim();
			this.render();
		}
	}

	// The stream connected (true) or lost (false): the log polled fast
	// while it is down, slowly while it is up; once back, what it
	// missed is read at once.
	streamState(on) {
		this.streamOn = on;
		if (!this.loaded)
			return;
		if (on)
			this.readNewest();
		this.follow();
	}

	async load() {
		try {
			// Oldest first, in pages: the newest KEEP are kept.
			const page = 1000;
			let since = 0;

			for (let i = 0; i < EVENT_PAGES; i++) {
				const j = await get(`/api/v1/events?since=${since}` +
						    `&limit=${page}`);
				const ev = j.events || [];

				for (const e of ev.slice(-KEEP))
					this.addEvent(e);
				if (ev.length < page || !j.next)
					break;
				since = j.next;
			}
			this.trim();
		} catch (e) {
			this.note.textContent = `events: ${e.message}`;
		}
		try {
			const log = await getAll('/api/v1/remediation/log',
						 'entries', 'before', KEEP);

			for (const r of log)
				this.addRemedy(r);
		} catch (e) {
			this.note.textContent += ` remediation log: ${e.message}`;
		}
		this.render();
		this.loaded = true;
		// The stream may have opened before the log was read: what
		// came between.
		if (this.streamOn)
			this.readNewest();
		this.follow();
	}

	// The remediation log's newest entries: new decisions, and outcomes
	// filled in.
	async readNewest() {
		if (this.reading)
			return;
		this.reading = true;
		try {
			const j = await get('/api/v1/remediation/log' +
					    `?limit=${REMEDY_NEWEST}`);
			let changed = false;

			for (const r of j.entries || [])
				changed = this.addRemedy(r) || changed;
			if (changed) {
				this.trim();
				this.render();
			}
			if (this.note.textContent.startsWith(FOLLOW_ERR))
				this.note.textContent = '';
		} catch (e) {
			this.note.textContent = `${FOLLOW_ERR}${e.message}`;
		} finally {
			this.reading = false;
		}
	}

	// The log's newest entries every REMEDY_POLL_MS while the stream is
	// down, REMEDY_LIVE_POLL_MS while it is up (while the page is shown).
	follow() {
		clearInterval(this.followTimer);
		this.followTimer = setInterval(() => {
			if (!document.hidden)
				this.readNewest();
		}, this.streamOn ? REMEDY_LIVE_POLL_MS : REMEDY_POLL_MS);
	}

	render() {
		const f = this.filter.value, names = this.names();
		const nm = (x) => x ? `${names.get(x) || ''} (${x})` : '';
		const rows = [...this.events.values()]
			.filter((r) => !f || (f === 'failure' ?
					       FAILURE.has(r.kind) : r.kind === f))
			.sort((a, b) => b.time - a.time).slice(0, KEEP);

		this.tbody.replaceChildren(...rows.map((r) => el('tr',
			{ class: `kind-${r.kind}` },
			el('td', {}, fmtTime(r.time)), el('td', {}, r.kind),
			el('td', {}, [nm(r.node), nm(r.peer)].filter(Boolean)
			   .join(' – ')),
			el('td', {}, r.text))));
	}
}
