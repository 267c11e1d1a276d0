// SPDX-License-Identifier: GPL-2.0
// The topology map (cytoscape): nodes coloured by health inside their
// zone, labelled with name and roles; a link per pair of nodes (the worse
// of its two directions), its width by utilization, its colour by loss;
// the path between two nodes drawn over it.

/* global cytoscape */

// The colours keep 3:1 contrast (WCAG's for graphical objects) against
// both the map's white and a zone box's fill, and its text 4.5:1: web
// test 9 reads them from the map's style (css/dash.css's legend has the
// same). Lossy is a dark orange: #d97706 was 2.8:1 on a zone box.
const HEALTH_COLOUR = { up: '#1a7f37', stale: '#9a6700', down: '#c62828' };
const HEALTH_UNKNOWN = '#6b7280';
const ZONE_FILL = '#eef1f6', ZONE_BORDER = '#7b8594';
const LINK_OK = '#6b7280', LINK_LOSSY = '#b45309', LINK_BAD = '#c62828';
const PATH = '#0b57d0', TEXT = '#1b1b1b';
const LOSS_LOSSY = 1000;	// ppm: 0.1%
const LOSS_BAD = 20000;		// 2%
// Above this many nodes the force layout costs more than it shows.
const FORCE_LAYOUT_MAX = 300;
const GRID_STEP = 60;		// between nodes, in the large layout

export const linkId = (a, b) => `l${Math.min(a, b)}-${Math.max(a, b)}`;

// The links of a topology merged per pair: both directions kept.
export function pairLinks(topo) {
	const pairs = new Map();

	for (const l of topo.links || []) {
		const id = linkId(l.from, l.to);
		let p = pairs.get(id);

		if (!p) {
			p = { id, a: Math.min(l.from, l.to),
			      b: Math.max(l.from, l.to), dirs: [] };
			pairs.set(id, p);
		}
		p.dirs.push(l);
	}
	for (const p of pairs.values()) {
		p.down = p.dirs.some((d) => d.state !== 'up');
		p.loss_ppm = Math.max(...p.dirs.map((d) => d.loss_ppm || 0));
		p.utilization = Math.max(...p.dirs.map((d) => d.utilization ||
							 0));
		p.rtt_us = Math.max(...p.dirs.map((d) => d.rtt_us || 0));
	}
	return pairs;
}

function lossClass(p) {
	if (p.down || p.loss_ppm >= LOSS_BAD)
		return 'bad';
	return p.loss_ppm >= LOSS_LOSSY ? 'lossy' : 'ok';
}

export function nodeLabel(n) {
	const roles = (n.roles || []).join(', ');

	return `${n.name || n.node}${roles ? `\n${roles}` : ''}`;
}

export class TopoMap {
	constructor(container, handlers) {
		this.handlers = handlers;
		this.nodeIds = '';
		this.cy = cytoscape({
			container,
			// While panning and zooming, a big map is moved as a
			// picture and drawn again when it stops.
			textureOnViewport: true,
			hideEdgesOnViewport: true,
			minZoom: 0.05,
			maxZoom: 4,
			boxSelectionEnabled: false,
			style: [
				{ selector: 'node', style: {
					label: 'data(label)',
					'text-wrap': 'wrap',
					'font-size': 10,
					'min-zoomed-font-size': 7,
					'text-valign': 'bottom',
					'text-margin-y': 3,
					width: 22, height: 22,
					color: TEXT,
					'background-color': HEALTH_UNKNOWN,
					'border-width': 1,
					'border-color': '#333',
				} },
				...Object.entries(HEALTH_COLOUR).map(([h, c]) => ({
					selector: `node[health = "${h}"]`,
					style: { 'background-color': c } })),
				{ selector: 'node.zone', style: {
					label: 'data(label)',
					'text-valign': 'top',
					'font-size': 12,
					'font-weight': 'bold',
					'background-color': ZONE_FILL,
					'background-opacity': 0.6,
					'border-color': ZONE_BORDER,
					'border-style': 'dashed',
					padding: 14,
				} },
				{ selector: 'edge', style: {
					width: 'data(width)',
					'line-color': LINK_OK,
					'curve-style': 'bezier',
				} },
				{ selector: 'edge.lossy', style: {
					'line-color': LINK_LOSSY } },
				{ selector: 'edge.bad', style: {
					'line-color': LINK_BAD } },
				{ selector: 'edge.down', style: {
					'line-style': 'dashed' } },
				{ selector: 'edge.path', style: {
					'line-color': PATH,
					width: 6,
					label: 'data(cost)',
					'font-size': 11,
					'font-weight': 'bold',
					color: PATH,
					'text-background-color': '#fff',
					'text-background-opacity': 1,
					'z-index': 10,
				} },
				{ selector: 'node.path', style: {
					'border-color': PATH,
					'border-width': 5,
					color: PATH,
					'font-weight': 'bold',
				} },
				{ selector: ':selected', style: {
					'border-width': 4,
					'border-color': '#111',
					'line-color': '#111',
				} },
			],
		});
		this.cy.on('tap', 'node[^zone]', (ev) => {
			const id = ev.target.data('node');

			if (ev.originalEvent && ev.originalEvent.shiftKey)
				handlers.onPathPick(id);
			else
				handlers.onNode(id);
		});
		this.cy.on('tap', 'edge', (ev) => handlers.onLink(
			ev.target.data('a'), ev.target.data('b')));
	}

	// Draw a topology: elements added, changed and removed in place; the
	// layout runs again only when the set of nodes changed.
	update(topo) {
		const cy = this.cy, pairs = pairLinks(topo);
		const nodes = topo.nodes || [];
		const known = new Set(nodes.map((n) => n.node));
		const want = new Set(), adds = [];

		// New elements in one add (much faster than one by one).
		cy.batch(() => {
			for (const z of new Set(nodes.map((n) => n.zone || '')))
				want.add(`zone:${z}`);
			for (const id of want)
				if (!cy.getElementById(id).length)
					adds.push({ group: 'nodes', classes: 'zone',
						    data: { id, zone: true,
							    label: id.slice(5) ||
							    '(no zone)' } });
			for (const n of nodes) {
				const id = `n${n.node}`;
				const data = {
					id, node: n.node, label: nodeLabel(n),
					health: n.health,
					parent: `zone:${n.zone || ''}`,
				};
				const el = cy.getElementById(id);

				want.add(id);
				if (el.length && el.data('parent') !==
				    data.parent)
					el.move({ parent: data.parent });
				if (el.length)
					el.data(data);
				else
					adds.push({ group: 'nodes', data });
			}
			for (const p of pairs.values()) {
				if (!known.has(p.a) || !known.has(p.b))
					continue;
				const data = {
					id: p.id, source: `n${p.a}`,
					target: `n${p.b}`, a: p.a, b: p.b,
					width: 1.5 + 8 * Math.min(1,
						p.utilization),
					state: p.down ? 'down' : 'up',
					loss_ppm: p.loss_ppm, cost: '',
				};
				const el = cy.getElementById(p.id);
				const classes = lossClass(p) +
					(p.down ? ' down' : '');

				want.add(p.id);
				if (el.length)
					el.data(data).classes(classes +
						(el.hasClass('path') ? ' path' : ''));
				else
					adds.push({ group: 'edges', data, classes });
			}
			cy.elements().filter((e) => !want.has(e.id())).remove();
			cy.add(adds);
		});
		const ids = nodes.map((n) => n.node).sort().join(',');

		if (ids !== this.nodeIds) {
			this.nodeIds = ids;
			this.layout(nodes.length);
		}
		return pairs;
	}

	layout(count) {
		if (count > FORCE_LAYOUT_MAX) {
			this.zoneGrid();
			return;
		}
		this.cy.layout({ name: 'cose', animate: false,
				 nodeDimensionsIncludeLabels: true,
				 randomize: false, numIter: 600 }).run();
		this.cy.fit(undefined, 20);
	}

	// Many nodes: each zone a square grid of its nodes (by id), the zones
	// side by side, so that a zone stays one box.
	zoneGrid() {
		const cy = this.cy, at = new Map();
		const zones = cy.nodes('.zone').sort((a, b) =>
			a.id().localeCompare(b.id()));
		let x0 = 0;

		for (const z of zones) {
			const kids = z.children().sort((a, b) =>
				a.data('node') - b.data('node'));
			const cols = Math.ceil(Math.sqrt(kids.length)) || 1;

			kids.forEach((k, j) => at.set(k.id(), {
				x: x0 + (j % cols) * GRID_STEP,
				y: Math.floor(j / cols) * GRID_STEP,
			}));
			x0 += cols * GRID_STEP + 3 * GRID_STEP;
		}
		cy.nodes('[node]').positions((n) => at.get(n.id()) ||
					     { x: 0, y: 0 });
		cy.fit(undefined, 20);
	}

	// The path's hops ([{node, via, link_metric}]) drawn over the map:
	// each hop's node, and its link to the next (via) with its cost.
	showPath(hops) {
		const cy = this.cy;

		this.clearPath();
		for (const h of hops) {
			cy.getElementById(`n${h.node}`).addClass('path');
			if (!h.via)
				continue;
			cy.getElementById(`n${h.via}`).addClass('path');
			cy.getElementById(linkId(h.node, h.via)).addClass('path')
				.data('cost', h.link_metric !== undefined ?
				      String(h.link_metric) : '');
		}
	}

	clearPath() {
		this.cy.elements('.path').removeClass('path');
	}

	select(id) {
		this.cy.elements(':selected').unselect();
		this.cy.getElementById(id).select();
	}
}
