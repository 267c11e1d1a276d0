// SPDX-License-Identifier: GPL-2.0
// The policy view: the current version and its history, which agents
// applied which version, and (operator and admin) an editor whose text
// the controller checks and tests before it applies it (PUT
// /api/v1/policy?expect=CURRENT): a refusal shows its location and reason,
// and nothing changes.

import { call, get, getAll, roleAtLeast } from './api.js';
import { el, fmtTime } from './ui.js';

const $ = (id) => document.getElementById(id);

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
				el('td', {}, fmtTime(a.last_seen)))));
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
		// A line and column: put the cursor there.
		const m = /line (\d+) column (\d+)/.exec(e.location || '');

		if (m) {
			const ta = $('policy-text');
			const lines = ta.value.split('\n');
			const at = lines.slice(0, m[1] - 1)
				.reduce((n, l) => n + l.length + 1, 0) +
				Number(m[2]) - 1;

			ta.focus();
			ta.setSelectionRange(at, at + 1);
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
