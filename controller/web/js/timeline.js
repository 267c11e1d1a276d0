// SPDX-License-Identifier: GPL-2.0
// The timeline: the controller's events (failures, recoveries, policy
// versions; GET /api/v1/events, then live from the stream) and the
// remediation log (GET /api/v1/remediation/log), newest first.

import { get } from './api.js';
import { el, fmtTime } from './ui.js';

const KEEP = 500;
const FAILURE = new Set(['node-down', 'node-up', 'link-down', 'link-up',
			 'link-loss']);

export class Timeline {
	constructor(tbody, filter, note, names) {
		this.tbody = tbody;
		this.filter = filter;
		this.note = note;
		this.names = names;	// () => Map(node id -> name)
		this.events = new Map();	// "e<id>" / "r<id>" -> row data
		filter.addEventListener('change', () => this.render());
	}

	add(key, row) {
		this.events.set(key, row);
	}

	addEvent(e) {
		this.add(`e${e.id}`, { time: e.time, kind: e.kind,
				       node: e.node, peer: e.peer,
				       text: e.detail || '' });
	}

	async load() {
		try {
			const j = await get('/api/v1/events?limit=' + KEEP);

			for (const e of j.events || [])
				this.addEvent(e);
		} catch (e) {
			this.note.textContent = `events: ${e.message}`;
		}
		try {
			const j = await get('/api/v1/remediation/log');

			for (const r of j.entries || j.log || []) {
				const what = [r.rule && `rule ${r.rule}`,
					      r.action, r.target, r.decision,
					      r.outcome && `outcome: ${r.outcome}`,
					      r.detail].filter(Boolean);

				this.add(`r${r.id}`, { time: r.time,
					kind: 'remediation', node: r.node,
					text: what.join(', ') });
			}
		} catch (e) {
			this.note.textContent += ` remediation log: ${e.message}`;
		}
		this.render();
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
