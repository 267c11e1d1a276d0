// SPDX-License-Identifier: GPL-2.0
// The detail panels: a node (capabilities, neighbors, counters, drops by
// reason, QoS classes) or a link (both directions), and their time series
// (uPlot) from GET /api/v1/telemetry/series: the node's, each of its
// classes' rate, each direction's of a link.

/* global uPlot */

import { get } from './api.js';
import { el, fmtBps, fmtTime, table, kvTable } from './ui.js';

const NODE_SERIES = [
	{ metric: 'tx_bps', title: 'Throughput sent', unit: fmtBps },
	{ metric: 'rx_bps', title: 'Throughput received', unit: fmtBps },
	{ metric: 'drops_per_s', title: 'Errors: drops per second' },
	{ metric: 'load', title: 'Load' },
];
const fmtPct = (v) => `${(v * 100).toFixed(1)}%`;
const LINK_SERIES = [
	{ metric: 'rtt_us', title: 'RTT (µs)' },
	{ metric: 'loss_ppm', title: 'Loss (ppm)' },
	{ metric: 'link_tx_bps', title: 'Sent on the link', unit: fmtBps },
	{ metric: 'utilization', title: 'Utilization (of its bandwidth)',
	  unit: fmtPct },
];

const charts = [];
// The panel drawn last: a drawing overtaken by a newer one (a click, an
// event) stops at its next step instead of mixing its parts in.
let generation = 0;

function dropCharts() {
	while (charts.length)
		charts.pop().destroy();
}

async function chart(parent, query, spec, gen) {
	const box = el('div', { class: 'chart' }, el('h4', {}, spec.title));
	let s, failed = null;

	// No since: the last hour by the controller's clock. The browser's
	// hour (its clock a second behind as the request crosses a second,
	// or set wrong) makes the controller answer from its minute tier:
	// empty on a young site, without the last hour on an old one.
	try {
		s = await get(`/api/v1/telemetry/series?${query}` +
			      `&metric=${spec.metric}`);
	} catch (e) {
		failed = e;
	}
	if (gen !== generation)
		return;
	parent.append(box);
	if (failed) {
		box.append(el('p', { class: 'hint' },
			      `not available (${failed.message})`));
		return;
	}
	const pts = s.points || [];

	if (!pts.length) {
		box.append(el('p', { class: 'hint' }, 'no samples yet'));
		return;
	}
	const data = [pts.map((p) => p[0]), pts.map((p) => p[1])];
	const width = Math.max(260, parent.clientWidth - 10);
	const opts = {
		width, height: 120,
		legend: { show: false },
		scales: { x: { time: true } },
		series: [{}, { label: spec.title, stroke: '#0b57d0', width: 1.5,
			       value: spec.unit ? (u, v) => spec.unit(v) :
			       undefined }],
		axes: [{}, { size: spec.unit ? 90 : 60, values: spec.unit ?
			     (u, vals) => vals.map(spec.unit) : undefined }],
	};

	charts.push(new uPlot(opts, data, box));
}

export async function showNode(panel, id, topo) {
	const gen = ++generation;
	let n;

	try {
		n = await get(`/api/v1/nodes/${id}`);
	} catch (e) {
		if (gen === generation)
			panel.replaceChildren(el('p', { class: 'error' },
						 `node ${id}: ${e.message}`));
		return;
	}
	if (gen !== generation)
		return;
	dropCharts();
	const t = (topo.nodes || []).find((x) => x.node === id) || {};
	const names = new Map((topo.nodes || []).map((x) => [x.node, x.name]));
	const health = n.health || t.health || 'unknown';
	// The last report in full (n.report), beside the derived rates.
	const rep = n.report || n;
	const c = rep.counters || {};
	const counters = Object.fromEntries(Object.entries(c)
		.filter(([k, v]) => typeof v !== 'object'));

	panel.replaceChildren(
		el('h2', {}, `${n.name || t.name || id} (node ${id})`),
		el('p', {}, 'zone ', el('strong', {}, n.zone || t.zone || '-'),
		   ', roles ', (n.roles || t.roles || []).join(', ') || 'none',
		   ', ', el('span', { class: `health-${health}` }, health),
		   ', last seen ', fmtTime(n.last_seen || t.last_seen),
		   ', policy version ', String(n.policy_version ??
					      t.policy_version ?? '-')),
		el('p', {}, `sending ${fmtBps(t.tx_bps)}, receiving ` +
		   `${fmtBps(t.rx_bps)}, ${(t.drops_per_s || 0).toFixed(2)} ` +
		   'drops/s'),
		el('h3', {}, 'Capabilities'), kvTable(n.caps || {}),
		el('h3', {}, 'Neighbors'),
		table(['Peer', 'Via', 'State', 'RTT µs', 'Loss ppm', 'Metric',
		       'Bandwidth', 'Bytes sent', 'Bytes received'],
		      (rep.links || []).map((l) => [
			      `${names.get(l.peer) || ''} (${l.peer})`,
			      l.ifname || '', l.state, l.rtt_us, l.loss_ppm,
			      l.metric, fmtBps((l.bandwidth_kbps || 0) * 1000),
			      l.tx_bytes ?? '-', l.rx_bytes ?? '-',
		      ])),
		el('h3', {}, 'Counters'), kvTable(counters),
		el('h3', {}, 'Drops by reason'), kvTable(c.drops || {}),
		el('h3', {}, 'QoS classes'),
		// Sent packets and bytes per class, drops over its rate cap
		// (bytes/s in the report; shown in bit/s, 0: none).
		Array.isArray(rep.qos) && rep.qos.length ?
			table(['Class', 'Packets', 'Bytes', 'Drops', 'Rate cap'],
			      rep.qos.map((q) => [q.class, q.packets, q.bytes,
						  q.drops, q.rate ?
						  fmtBps(q.rate * 8) : 'none'])) :
			el('p', { class: 'hint' }, 'none reported'),
		el('h3', {}, 'Routes'),
		table(['To', 'Via', 'Metric', 'Hops'],
		      (rep.routes || []).map((r) => [
			      `${names.get(r.node) || ''} (${r.node})`,
			      `${names.get(r.via) || ''} (${r.via})`,
			      r.metric, r.hops])));
	for (const s of NODE_SERIES)
		await chart(panel, `node=${id}`, s, gen);
	for (const q of Array.isArray(rep.qos) ? rep.qos : [])
		await chart(panel, `node=${id}&class=${q.class}`,
			    { metric: 'class_bps', unit: fmtBps,
			      title: `Class ${q.class}: sent` }, gen);
}

export async function showLink(panel, a, b, topo) {
	const gen = ++generation;

	dropCharts();
	const names = new Map((topo.nodes || []).map((x) => [x.node, x.name]));
	const dirs = (topo.links || []).filter((l) =>
		(l.from === a && l.to === b) || (l.from === b && l.to === a));
	const nm = (x) => `${names.get(x) || ''} (${x})`;

	panel.replaceChildren(
		el('h2', {}, `Link ${nm(a)} – ${nm(b)}`),
		table(['From', 'State', 'RTT µs', 'Loss ppm', 'Metric',
		       'Bandwidth', 'Sent', 'Utilization'],
		      dirs.map((l) => [nm(l.from), l.state, l.rtt_us,
				       l.loss_ppm, l.metric,
				       fmtBps((l.bandwidth_kbps || 0) * 1000),
				       fmtBps(l.tx_bps),
				       fmtPct(l.utilization || 0)])));
	for (const d of dirs) {
		if (gen !== generation)
			return;
		panel.append(el('h3', {}, `As ${nm(d.from)} measures it`));
		for (const s of LINK_SERIES)
			await chart(panel, `node=${d.from}&peer=${d.to}`, s,
				    gen);
	}
}
