// SPDX-License-Identifier: GPL-2.0
// The policy view: the current version and its history, which agents
// applied which version, and (operator and admin) an editor whose text
// the controller checks and tests before it applies it (PUT
// /api/v1/policy?expect=CURRENT): a refusal shows its location and reason,
// and nothing changes.

import { call, get, getAll, roleAtLeast } from './api.js';
import { el, fmtTime } from './ui.js';

const $ = (id) => document.getElementById(id);

/*
 * Where the value a JSON pointer ("/rules/4") names starts in text, or -1:
 * a small scanner of the document as written, so that a refusal's
 * location can be shown in the editor.
 */
export function pointerOffset(text, pointer) {
	const want = pointer.split('/').slice(1)
		.map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
	let i = 0;

	const ws = () => {
		while (i < text.length && /\s/.test(text[i]))
			i++;
	};
	const str = () => {
		let out = '';

		for (i++; i < text.length && text[i] !== '"'; i++) {
			if (text[i] === '\\')
				i++;
			out += text[i];
		}
		i++;
		return out;
	};
	const here = (path) => path.length === want.length &&
		path.every((x, k) => x === want[k]);
	// The members or elements of the value at i, then past it.
	const value = (path) => {
		ws();
		if (here(path))
			return i;
		const open = text[i];

		if (open !== '{' && open !== '[') {
			if (open === '"')
				str();
			else
				while (i < text.length && !/[,\]}\s]/.test(text[i]))
					i++;
			return -1;
		}
		i++;
		for (let n = 0; i < text.length; n++) {
			ws();
			if (text[i] === '}' || text[i] === ']') {
				i++;
				return -1;
			}
			let key = String(n);

			if (open === '{') {
				key = str();
				ws();
				i++;	// the colon
			}
			const at = value([...path, key]);

			if (at >= 0)
				return at;
			ws();
			if (text[i] === ',')
				i++;
		}
		return -1;
	};

	return value([]);
}

// Select line (1-based) of a textarea and scroll it into view.
function selectLine(ta, line, column = 1) {
	const lines = ta.value.split('\n');
	const start = lines.slice(0, line - 1)
		.reduce((n, l) => n + l.length + 1, 0);
	const end = start + (lines[line - 1] || '').length;
	const lh = parseFloat(getComputedStyle(ta).lineHeight) || 16;

	ta.focus();
	ta.setSelectionRange(Math.min(start + column - 1, end), end);
	ta.scrollTop = Math.max(0, (line - 4) * lh);
}

export class PolicyView {
	constructor(names) {
		this.names = names;
		this.current = null;
		$('policy-apply').addEventListener('click', () => this.apply());
		$('policy-revert').addEventListener('click', () => {
			$('policy-text').value = this.current ?
				this.current.policy : '';
			this.clearResult();
		});
	}

	setRole(role) {
		this.role = role;
		const may = roleAtLeast(role, 'operator');

		$('policy-edit').hidden = !may;
		// The editor holds the current text: the view is for others.
		$('policy-view').hidden = may;
		$('policy-readonly').hidden = may;
		$('policy-readonly').textContent = may ? '' :
			`Your token is ${role}: it may view the policy but ` +
			'not edit it or roll it back (an operator token may).';
	}

	clearResult() {
		$('policy-error').hidden = true;
		$('policy-ok').hidden = true;
	}

	async load() {
		let cur = null;

		try {
			cur = await get('/api/v1/policy');
		} catch (e) {
			if (e.status !== 404)
				throw e;
		}
		const edited = this.current &&
			$('policy-text').value !== this.current.policy;

		this.current = cur;
		$('policy-version').textContent = cur ? `v${cur.version}` :
			'(none yet)';
		$('policy-meta').textContent = cur ?
			`by ${cur.author} at ${fmtTime(cur.created)}` +
			(cur.rollback_of ? `, a rollback to v${cur.rollback_of}` :
			 '') : 'No policy has been applied yet.';
		$('policy-view').textContent = cur ? cur.policy : '';
		$('policy-view').hidden = roleAtLeast(this.role, 'operator');
		if (!edited)
			$('policy-text').value = cur ? cur.policy : '';
		await Promise.all([this.loadHistory(), this.loadAgents()]);
	}

	async loadHistory() {
		const versions = await getAll('/api/v1/policy/history',
					      'versions', 'before', 200);
		const may = roleAtLeast(this.role, 'operator');

		$('policy-history').tBodies[0].replaceChildren(
			...versions.map((v) => el('tr', {},
				el('td', {}, `v${v.version}` + (v.rollback_of ?
					` (rollback to v${v.rollback_of})` : '')),
				el('td', {}, v.author),
				el('td', {}, fmtTime(v.created)),
				el('td', {},
				   el('button', { type: 'button', onclick:
					() => this.view(v.version) }, 'View'),
				   may && this.current &&
				   v.version !== this.current.version ?
				   el('button', { type: 'button', onclick:
					() => this.rollback(v.version) },
				      'Roll back to') : null))));
	}

	async loadAgents() {
		const agents = await getAll('/api/v1/agents', 'agents', 'after');
		const names = this.names();

		$('agents').tBodies[0].replaceChildren(...agents.map(
			(a) => el('tr', {},
				el('td', {}, `${names.get(a.node) || ''} (${a.node})`),
				el('td', { class: a.current ? 'ok' : 'error' },
				   a.policy_version ? `v${a.policy_version}` +
				   (a.current ? ' (current)' : ' (behind)') :
				   'none'),
				el('td', {}, fmtTime(a.last_seen)),
				// The last version it could not apply, and why.
				el('td', a.error ? { class: 'error' } : {},
				   a.error ? `${a.error} (${fmtTime(a.error_time)})`
				   : ''))));
	}

	async view(version) {
		const v = await get(`/api/v1/policy?version=${version}`);

		$('policy-view').textContent = v.policy;
		$('policy-view').hidden = false;
		$('policy-meta').textContent = `Showing v${v.version} by ` +
			`${v.author} at ${fmtTime(v.created)}` +
			(this.current ? ` (current: v${this.current.version})` : '');
	}

	showError(e) {
		$('policy-error-location').textContent = e.location || '';
		$('policy-error-reason').textContent = e.reason || e.message;
		$('policy-error').hidden = false;
		// Show where in the editor: a line and column, or a JSON
		// pointer into the document.
		const ta = $('policy-text');
		const m = /line (\d+) column (\d+)/.exec(e.location || '');

		if (m) {
			selectLine(ta, Number(m[1]), Number(m[2]));
		} else if ((e.location || '').startsWith('/')) {
			const at = pointerOffset(ta.value, e.location);

			if (at >= 0)
				selectLine(ta, ta.value.slice(0, at).split('\n').length);
		}
	}

	async apply() {
		const expect = this.current ? `?expect=${this.current.version}`
			: '';

		this.clearResult();
		try {
			const r = await call('PUT', `/api/v1/policy${expect}`,
					     $('policy-text').value);

			$('policy-ok').textContent = r.changed ?
				`Applied as v${r.version}.` :
				`No change: the text is v${r.version}'s.`;
			$('policy-ok').hidden = false;
			this.current = null;	// take the new text
			await this.load();
		} catch (e) {
			this.showError(e);
		}
	}

	async rollback(version) {
		this.clearResult();
		try {
			const r = await call('POST', '/api/v1/policy/rollback',
					     { version });

			$('policy-ok').textContent =
				`Rolled back to v${version}'s text as v${r.version}.`;
			$('policy-ok').hidden = false;
			this.current = null;
			await this.load();
		} catch (e) {
			this.showError(e);
		}
	}
}
