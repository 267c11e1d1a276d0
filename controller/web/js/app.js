// SPDX-License-Identifier: GPL-2.0
// The site dashboard (Documentation/dashboard.md): sign in with a token,
// then the map, the events and the policy, kept live by the controller's
// event stream (GET /api/v1/events/stream; polling when it is missing).

import * as api from './api.js';
import { TopoMap } from './map.js';
import { showLink, showNode } from './panels.js';
import { PolicyView } from './policy.js';
import { Timeline } from './timeline.js';
import { el } from './ui.js';

const $ = (id) => document.getElementById(id);
const POLL_S = 5;		// without the stream
const REFRESH_MIN_MS = 1000;	// at most this often from the stream

const state = {
	topo: { nodes: [], links: [] },
	pairs: new Map(),
	role: null,
	pathPick: [],
	path: null,		// [from, to] shown
	redrawDetail: null,	// the node or link panel shown, again
	stopStream: null,
	pollTimer: null,
	refreshing: false,
	refreshAgain: false,
};

const names = () => new Map(state.topo.nodes.map((n) => [n.node, n.name]));

let map, timeline, policy;

// ---- sign in ----

function askToken(message) {
	$('signin-error').textContent = message || '';
	$('token').value = '';
	if (!$('signin').open)
		$('signin').showModal();
	$('token').focus();
}

// The sites the token reaches in the selector (shown when there are two
// or more); the one shown kept if the token reaches it, else its first.
async function chooseSite() {
	const list = await api.sites();
	const sel = $('site');

	if (list.length && !list.some((s) => s.name === api.site()))
		api.setSite(list[0].name);
	sel.replaceChildren(...list.map((s) =>
		el('option', { value: s.name }, s.name)));
	sel.value = api.site();
	$('site-pick').hidden = list.length < 2;
}

async function signIn(token) {
	api.saveToken(token);
	try {
		await chooseSite();
		state.role = await api.probeRole();
	} catch (e) {
		api.forgetToken();
		askToken(e.status === 401 ? `Refused: ${e.reason}` :
			 `Cannot reach the controller: ${e.message}`);
		return;
	}
	$('signin').close();
	$('signout').hidden = false;
	$('who').textContent = state.role;
	$('who').title = api.roleAtLeast(state.role, 'operator') ?
		'may view and change the policy' :
		'may view; may not change the policy';
	policy.setRole(state.role);
	// Signed in again (a token revoked meanwhile): one stream only.
	if (state.stopStream)
		state.stopStream();
	clearInterval(state.pollTimer);
	start();
}

function signOut() {
	if (state.stopStream)
		state.stopStream();
	clearInterval(state.pollTimer);
	api.forgetToken();
	location.reload();
}

// ---- data ----

function summary() {
	const n = state.topo.nodes, p = [...state.pairs.values()];
	const up = n.filter((x) => x.health === 'up').length;
	const down = p.filter((x) => x.down).length;
	const s = $('summary');

	s.textContent = `${n.length} nodes (${up} up), ${p.length} links` +
		(down ? ` (${down} down)` : '');
	s.dataset.nodes = n.length;
	s.dataset.links = p.length;
	s.dataset.linksDown = down;
}

function fillSelects() {
	const opts = () => state.topo.nodes.slice()
		.sort((a, b) => (a.name || '').localeCompare(b.name || ''))
		.map((n) => el('option', { value: n.node },
			       `${n.name || n.node} (${n.node})`));

	for (const id of ['path-from', 'path-to', 'node-pick']) {
		const s = $(id), keep = s.value;

		s.replaceChildren(el('option', { value: '' }, '–'), ...opts());
		s.value = keep;
	}
}

async function refresh() {
	if (state.refreshing) {
		state.refreshAgain = true;
		return;
	}
	state.refreshing = true;
	try {
		const t = await api.get('/api/v1/topology');
		const known = state.topo.nodes.map((n) => n.node).join();

		state.topo = t;
		state.pairs = map.update(t);
		summary();
		if (t.nodes.map((n) => n.node).join() !== known)
			fillSelects();
		if (state.path)
			await showPath(...state.path);
		// Agents report with their telemetry: which version they run.
		if (!$('view-policy').hidden)
			await policy.loadAgents();
	} catch (e) {
		$('summary').textContent = `topology: ${e.message}`;
		if (e.status === 401)
			askToken('The token is no longer valid.');
	} finally {
		state.refreshing = false;
	}
	if (state.refreshAgain) {
		state.refreshAgain = false;
		setTimeout(refresh, REFRESH_MIN_MS);
	}
}

let refreshTimer = null, detailTimer = null;

// A refresh within REFRESH_MIN_MS, however many reports come meanwhile.
function refreshSoon() {
	if (refreshTimer)
		return;
	refreshTimer = setTimeout(() => {
		refreshTimer = null;
		refresh();
	}, REFRESH_MIN_MS);
}

function onStreamEvent(kind, data) {
	if (kind === 'telemetry') {
		refreshSoon();
		return;
	}
	// A remediation log entry (its id the log's, no event's).
	if (kind === 'remediation') {
		timeline.streamRemedy(data);
		return;
	}
	if (data && data.id !== undefined) {
		timeline.addEvent(data);
		timeline.trim();
		timeline.render();
	}
	if (kind === 'policy')
		policy.load().catch(() => {});
	refreshSoon();
	// A node or link changed: the panel shown may be out of date (once,
	// however many events come together).
	if (kind !== 'policy' && state.redrawDetail && !detailTimer)
		detailTimer = setTimeout(() => {
			detailTimer = null;
			if (state.redrawDetail)
				state.redrawDetail();
		}, REFRESH_MIN_MS * 2);
}

function onStreamState(on) {
	$('live').textContent = on ? 'live' : 'polling';
	$('live').classList.toggle('on', on);
	timeline.streamState(on);
	clearInterval(state.pollTimer);
	if (!on)
		state.pollTimer = setInterval(refresh, POLL_S * 1000);
}

// ---- path ----

async function showPath(from, to) {
	state.path = [from, to];
	$('path-panel').hidden = false;
	const hops = $('path-hops'), status = $('path-status');
	let p;

	try {
		p = await api.get(`/api/v1/path?from=${from}&to=${to}`);
	} catch (e) {
		status.textContent = `No path: ${e.message}`;
		hops.replaceChildren();
		map.clearPath();
		return;
	}
	const nm = names();
	const label = (x) => `${nm.get(x) || ''} (${x})`;

	status.textContent = p.complete ?
		`${label(from)} to ${label(to)}: ${p.hops.length} hops` :
		`Incomplete: ${p.reason || 'no route'}`;
	hops.replaceChildren(...p.hops.map((h) => el('li',
		{ 'data-node': h.node },
		label(h.node),
		h.via ? ` → ${label(h.via)}: link cost ${h.link_metric ?? '?'}` +
			`, cost to destination ${h.metric ?? '?'}` : '')));
	map.showPath(p.hops);
}

function pathPick(id) {
	state.pathPick.push(id);
	if (state.pathPick.length < 2)
		return;
	const [a, b] = state.pathPick;

	state.pathPick = [];
	$('path-from').value = a;
	$('path-to').value = b;
	showPath(a, b);
}

// ---- views ----

function onNode(id) {
	map.select(`n${id}`);
	$('node-pick').value = id;
	state.redrawDetail = () => showNode($('detail-panel'), id, state.topo);
	state.redrawDetail();
}

function onLink(a, b) {
	state.redrawDetail = () => showLink($('detail-panel'), a, b,
					    state.topo);
	state.redrawDetail();
}

function tabs() {
	const all = [...document.querySelectorAll('[role=tab]')];
	const show = (t) => {
		for (const x of all) {
			const on = x === t;

			x.setAttribute('aria-selected', on);
			x.tabIndex = on ? 0 : -1;
			$(x.getAttribute('aria-controls')).hidden = !on;
		}
		t.focus();
		if (t.id === 'tab-map')
			map.cy.resize();
		if (t.id === 'tab-events')
			timeline.render();
		if (t.id === 'tab-policy')
			policy.load().catch(() => {});
	};

	all.forEach((t, i) => {
		t.addEventListener('click', () => show(t));
		t.addEventListener('keydown', (e) => {
			const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];

			if (d)
				show(all[(i + d + all.length) % all.length]);
		});
	});
}

function start() {
	refresh();
	timeline.load();
	policy.load().catch((e) => {
		$('policy-meta').textContent = `policy: ${e.message}`;
	});
	state.stopStream = api.stream(onStreamEvent, onStreamState);
}

function init() {
	map = new TopoMap($('map'), { onNode, onLink, onPathPick: pathPick });
	timeline = new Timeline($('timeline').tBodies[0], $('event-filter'),
				$('remed-note'), names);
	policy = new PolicyView(names);
	// For the browser tests (tests/web/) and the console.
	window.xmeshDashboard = { map, state };
	tabs();
	$('signin-form').addEventListener('submit', (e) => {
		e.preventDefault();
		signIn($('token').value.trim());
	});
	$('signin').addEventListener('cancel', (e) => e.preventDefault());
	$('signout').addEventListener('click', signOut);
	// Everything shown is the site's: start again on the other one.
	$('site').addEventListener('change', () => {
		api.setSite($('site').value);
		location.reload();
	});
	$('path-show').addEventListener('click', () => {
		const a = Number($('path-from').value);
		const b = Number($('path-to').value);

		if (a && b)
			showPath(a, b);
	});
	$('path-clear').addEventListener('click', () => {
		state.path = null;
		$('path-panel').hidden = true;
		map.clearPath();
	});
	$('node-pick').addEventListener('change', () => {
		const id = Number($('node-pick').value);

		if (id)
			onNode(id);
	});
	const t = api.savedToken();

	if (t)
		signIn(t);
	else
		askToken();
}

init();
