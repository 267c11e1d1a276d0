// SPDX-License-Identifier: GPL-2.0
// The dashboard's browser tests (TAP): a real xmesh-controller serving
// controller/build/web, fed by tests/web/out/feeder (a simulated site of
// signed agents), driven in Debian's headless chromium by playwright-core.
// Run by tests/web/run.sh, which builds what they need.
//
// Environment: XMESH_WEB_SHOTS=DIR also writes the screenshots there
// (Documentation/images/ for the docs); XMESH_WEB_NODES (default 8).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '../..');
const ctlBin = path.join(top, 'controller/xmesh-controller');
const feederBin = path.join(here, 'out/feeder');
const webDir = path.join(top, 'controller/build/web');
const NODES = Number(process.env.XMESH_WEB_NODES || 8);
const DEADLINE_MS = 30000;	// generous: the host is shared
// A link failure on the map: "within seconds" (it takes 0.3-2.3 s here,
// the agents reporting every second), with room for a loaded host.
const FAILURE_MS = 10000;
const REMEDY_STALE_S = 6, REMEDY_FOR_S = 2;
const shots = process.env.XMESH_WEB_SHOTS;

let n = 0, failed = 0;
const children = [];

function ok(cond, name, diag) {
	n++;
	if (!cond)
		failed++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
	if (!cond && diag)
		console.log(String(diag).split('\n').map((l) => `#   ${l}`)
			    .join('\n'));
}

async function check(name, fn) {
	try {
		const diag = await fn();

		ok(diag === undefined || diag === true, name, diag);
	} catch (e) {
		ok(false, name, e.stack || e.message);
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until it returns a truthy value; throw after the deadline.
async function until(what, fn, ms = DEADLINE_MS) {
	const end = Date.now() + ms;
	let last;

	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}: ${last}`);
		await sleep(250);
	}
}

// A raw HTTP request (no normalization of the path).
function request(port, method, rawPath, headers = {}, body) {
	return new Promise((resolve, reject) => {
		const r = http.request({ host: '127.0.0.1', port, method,
					 path: rawPath, headers }, (res) => {
			let data = '';

			res.setEncoding('utf8');
			res.on('data', (c) => { data += c; });
			res.on('end', () => resolve({ status: res.statusCode,
						      headers: res.headers,
						      body: data }));
		});
		r.on('error', reject);
		if (body !== undefined)
			r.write(body);
		r.end();
	});
}

async function api(port, token, method, p, body) {
	const r = await request(port, method, p,
				{ Authorization: `Bearer ${token}` }, body);

	if (r.status >= 300)
		throw new Error(`${method} ${p}: ${r.status} ${r.body}`);
	return r.body ? JSON.parse(r.body) : null;
}

function start(bin, args, opts) {
	const c = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });

	children.push(c);
	return c;
}

// Lines of a child's stream, to wait for.
function lines(stream) {
	const seen = [];

	stream.setEncoding('utf8');
	let buf = '';

	stream.on('data', (d) => {
		buf += d;
		let i;

		while ((i = buf.indexOf('\n')) >= 0) {
			seen.push(buf.slice(0, i));
			buf = buf.slice(i + 1);
		}
	});
	return seen;
}

async function screenshot(page, name) {
	const dirs = [path.join(here, 'out')].concat(shots ? [shots] : []);

	for (const d of dirs) {
		fs.mkdirSync(d, { recursive: true });
		await page.screenshot({ path: path.join(d, `dashboard-${name}.png`) });
	}
}

async function signIn(page, url, token) {
	await page.goto(url);
	await page.fill('#token', token);
	await page.click('#signin-form button[type=submit]');
	await until('signed in', () => page.evaluate(() =>
		document.getElementById('who').textContent));
}

async function main() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmesh-web-'));
	const ctlArgs = (f) => ['--db', path.join(dir, 'c.db'), ...f];

	execFileSync(feederBin, ['init', dir]);
	const token = (role, name) => execFileSync(ctlBin,
		ctlArgs(['token', 'add', role, name])).toString().trim();
	const opTok = token('operator', 'alice');
	const roTok = token('read-only', 'watcher');
	const ctl = start(ctlBin, ctlArgs([
		'--authority', path.join(dir, 'authority.cert'),
		'--policy-key', path.join(dir, 'policy.key'),
		'--policy-cert', path.join(dir, 'policy.cert'),
		'--port', '0', '--web', webDir,
		// The remediation test's rule: an agent unheard for 6 s is
		// unreachable (the stale test's agent, silent some 15 s as
		// the feeder tells no interval, is restarted too).
		'--remedy-stale', String(REMEDY_STALE_S),
		'--hook', 'restart-instance command echo restarted ' +
			'"$XMESH_NODE_NAME"']));
	const ctlLog = lines(ctl.stderr);
	const listening = await until('the controller', () => ctlLog
		.map((l) => /listening on [\d.]+:(\d+)/.exec(l))
		.find(Boolean), 10000);
	const port = Number(listening[1]);
	const url = `http://127.0.0.1:${port}/`;
	// The example policy, its restart-dead rule acting 2 s after an
	// agent is unreachable (rather than 30 s).
	const policy0 = fs.readFileSync(
		path.join(top, 'controller/examples/site-policy.json'), 'utf8')
		.replace(/("name": "restart-dead", "when": "unreachable", "for": )30,/,
			 `$1${REMEDY_FOR_S},`);

	if (!policy0.includes(`"for": ${REMEDY_FOR_S},`))
		throw new Error('no restart-dead rule in the example policy');

	await api(port, opTok, 'PUT', '/api/v1/policy', policy0);
	const feeder = start(feederBin, ['run', dir, `http://127.0.0.1:${port}`,
					 String(NODES), '1']);
	const feederOut = lines(feeder.stdout);

	feeder.stderr.pipe(process.stderr);
	const site = await until('the feeder', () => feederOut
		.map((l) => /^site (\d+) nodes (\d+) links/.exec(l))
		.find(Boolean), 10000);
	const nLinks = Number(site[2]);

	await check('the agents\' reports are taken (telemetry 200)', async () => {
		await until('a round', () => feederOut.some((l) =>
			/^round \d+ telemetry 200 report 200$/.test(l)));
	});

	// ---- the files ----
	await check('GET / is the page, no-cache with an ETag and a CSP',
		    async () => {
		const r = await request(port, 'GET', '/');

		if (r.status !== 200 || !/^text\/html/.test(r.headers['content-type']) ||
		    r.headers['cache-control'] !== 'no-cache' || !r.headers.etag ||
		    !/script-src 'self'/.test(r.headers['content-security-policy']))
			return JSON.stringify([r.status, r.headers]);
		const again = await request(port, 'GET', '/', {
			'If-None-Match': r.headers.etag });

		return again.status === 304 || `revalidation: ${again.status}`;
	});
	await check('static files with their content types', async () => {
		const want = {
			'/static/js/app.js': 'text/javascript',
			'/static/css/dash.css': 'text/css',
			'/static/vendor/cytoscape.min.js': 'text/javascript',
			'/static/vendor/uPlot.iife.min.js': 'text/javascript',
		};
		const bad = [];

		for (const [p, t] of Object.entries(want)) {
			const r = await request(port, 'GET', p);

			if (r.status !== 200 ||
			    !r.headers['content-type'].startsWith(t))
				bad.push(`${p}: ${r.status} ${r.headers['content-type']}`);
		}
		return bad.length ? bad.join('\n') : undefined;
	});
	await check('no way out of the web directory', async () => {
		const bad = [];

		for (const p of ['/static/../xmesh-controller',
				 '/static/%2e%2e/%2e%2e/web.c',
				 '/static/js/../../../server.c',
				 '/static/js/%2e%2e/index.html',
				 '/static/.htaccess.js', '/static//js/app.js',
				 '/static/js/app.js%00.png', '/static/',
				 '/%73tatic/js/app.js', '/static/js/%61pp.js',
				 '/static/js']) {
			const r = await request(port, 'GET', p);

			if (r.status !== 404 && r.status !== 400)
				bad.push(`${p}: ${r.status}`);
		}
		// Links planted in the directory lead nowhere.
		const secret = path.join(dir, 'secret.txt');
		const planted = [path.join(webDir, 'planted.txt'),
				 path.join(webDir, 'planted')];

		fs.writeFileSync(secret, 'secret\n');
		fs.symlinkSync(secret, planted[0]);
		fs.symlinkSync(dir, planted[1]);
		try {
			for (const p of ['/static/planted.txt',
					 '/static/planted/secret.txt']) {
				const r = await request(port, 'GET', p);

				if (r.status !== 404 || r.body.includes('secret'))
					bad.push(`${p}: ${r.status}`);
			}
		} finally {
			planted.forEach((p) => fs.unlinkSync(p));
		}
		const post = await request(port, 'POST', '/', {}, 'x');

		if (post.status !== 405)
			bad.push(`POST /: ${post.status}`);
		return bad.length ? bad.join('\n') : undefined;
	});

	// ---- the page ----
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox'] });
	const ctx = await browser.newContext({
		viewport: { width: 1400, height: 900 } });
	const page = await ctx.newPage();
	const pageErrors = [];
	// Every request of every page, to see that none leaves the
	// controller's origin (no CDN, works offline): those sent, and
	// those the page's CSP refused before they were (a console error).
	const offOrigin = [];
	const sameOrigin = (p) => {
		p.on('request', (r) => {
			const u = new URL(r.url());

			if (u.origin !== new URL(url).origin &&
			    !['data:', 'blob:'].includes(u.protocol))
				offOrigin.push(`${r.method()} ${r.url()}`);
		});
		p.on('console', (m) => {
			if (/Content Security Policy/.test(m.text()))
				offOrigin.push(`refused: ${m.text()}`);
		});
		return p;
	};

	sameOrigin(page);

	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
			pageErrors.push(m.text());
	});
	// fn(cy, arg) in the page, on the map's cytoscape instance (an
	// expression: no eval in the page, its CSP forbids it).
	const cy = (fn, arg) => page.evaluate(`(${fn})(` +
		`window.xmeshDashboard.map.cy, ${JSON.stringify(arg ?? null)})`);

	await check('the page loads and signs in with an operator token',
		    async () => {
		await signIn(page, url, opTok);
		const who = await page.textContent('#who');

		return who === 'operator' || `role shown: ${who}`;
	});
	await check(`the map shows ${NODES} nodes and ${nLinks} links`,
		    async () => {
		await until('the map', async () => {
			const [nodes, edges] = await cy((c) =>
				[c.nodes('[node]').length, c.edges().length]);

			return nodes === NODES && edges === nLinks;
		});
		const s = await page.getAttribute('#summary', 'data-links');

		return s === String(nLinks) || `summary says ${s} links`;
	});
	await check('nodes are grouped by zone and labelled with roles',
		    async () => {
		const r = await cy((c) => c.nodes('[node]').map((x) =>
			[x.data('node'), x.parent().id(), x.data('label')]));
		const topo = await api(port, roTok, 'GET', '/api/v1/topology');
		const bad = topo.nodes.filter((t) => {
			const m = r.find((x) => x[0] === t.node);

			return !m || m[1] !== `zone:${t.zone}` ||
				!t.roles.every((ro) => m[2].includes(ro));
		});
		return bad.length ? JSON.stringify(bad) : undefined;
	});
	await check('the views and a node are reached with the keyboard',
		    async () => {
		await page.focus('#tab-map');
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowRight');
		const policyShown = await page.isVisible('#view-policy');
		const selected = await page.getAttribute('#tab-policy',
							 'aria-selected');

		await page.keyboard.press('ArrowRight');	// wraps to the map
		if (!policyShown || selected !== 'true' ||
		    !await page.isVisible('#view-map'))
			return `policy shown ${policyShown}, selected ${selected}`;
		await page.focus('#node-pick');
		await page.keyboard.press('ArrowDown');
		await until('a node panel', async () =>
			/\(node \d+\)/.test(await page.textContent('#detail-panel')));
		return undefined;
	});
	await check('contrast: text 4.5:1; the map\'s and the legend\'s marks 3:1',
		    async () => {
		const bad = await page.evaluate(() => {
			const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3)
				.map(Number);
			const lum = (c) => {
				const v = rgb(c).map((x) => {
					const s = x / 255;

					return s <= 0.03928 ? s / 12.92 :
						((s + 0.055) / 1.055) ** 2.4;
				});

				return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
			};
			const ratio = (a, b) => {
				const x = lum(a), y = lum(b);

				return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
			};
			const out = [];
			const need = (what, fg, bgs, min) => {
				for (const [name, bg] of Object.entries(bgs)) {
					const r = ratio(fg, bg);

					if (r < min)
						out.push(`${what} ${fg} on ${name} ${bg}: ` +
							 `${r.toFixed(2)} < ${min}`);
				}
			};
			// The panels' text on the panel.
			const detail = document.getElementById('detail');
			const panel = getComputedStyle(detail).backgroundColor;

			for (const cls of ['health-up', 'health-stale',
					   'health-down', 'error', 'ok', 'hint']) {
				const e = document.createElement('span');

				e.className = cls;
				detail.append(e);
				need(cls, getComputedStyle(e).color, { panel }, 4.5);
				e.remove();
			}

			// The map: its own style on a headless cytoscape with an
			// element of every kind it draws, on the map's white and
			// on a zone box's fill (taken opaque: the worst case).
			const live = window.xmeshDashboard.map.cy;
			const white = getComputedStyle(document.getElementById('map'))
				.backgroundColor;
			const health = ['up', 'stale', 'down', 'unknown'];
			const node = (id, extra) => ({ data: { id, node: 1,
				label: id, parent: 'z', ...extra } });
			const edge = (id, classes) => ({ data: { id: `e-${id}`,
				source: 'up',
				target: 'down', width: 2, cost: '15' }, classes });
			const edges = { ok: 'ok', lossy: 'lossy', bad: 'bad',
					down: 'bad down', path: 'ok path' };
			const h = cytoscape({ headless: true, styleEnabled: true,
				style: live.style().json(), elements: [
				{ data: { id: 'z', zone: true, label: 'zone' },
				  classes: 'zone' },
				...health.map((x) => node(x, { health: x })),
				{ ...node('path', { health: 'up' }), classes: 'path' },
				{ ...node('sel', { health: 'up' }), selected: true },
				...Object.entries(edges).map(([id, c]) => edge(id, c)),
				{ ...edge('esel', 'ok'), selected: true },
			] });
			const zone = h.getElementById('z');
			const zfill = zone.style('background-color');
			const on = { white, 'a zone': zfill };

			need('zone border', zone.style('border-color'), on, 3);
			need('zone label', zone.style('color'), on, 4.5);
			for (const id of [...health, 'path', 'sel']) {
				const e = h.getElementById(id);

				need(`node ${id}`, e.style('background-color'), on, 3);
				need(`node ${id} border`, e.style('border-color'), on, 3);
				need(`node ${id} label`, e.style('color'), on, 4.5);
			}
			for (const id of [...Object.keys(edges), 'esel']) {
				const e = h.getElementById(`e-${id}`);

				need(`link ${id}`, e.style('line-color'), on, 3);
				if (e.style('label') === '')
					continue;
				need(`link ${id} label`, e.style('color'),
				     Number(e.style('text-background-opacity')) === 1 ?
				     { 'its label box': e.style('text-background-color') } :
				     on, 4.5);
			}
			// The legend: the map's colours, 3:1 on the page.
			const map = {
				up: h.getElementById('up').style('background-color'),
				stale: h.getElementById('stale').style('background-color'),
				down: h.getElementById('down').style('background-color'),
				ok: h.getElementById('e-ok').style('line-color'),
				lossy: h.getElementById('e-lossy').style('line-color'),
				bad: h.getElementById('e-bad').style('line-color'),
			};
			let page = document.getElementById('legend');

			while (/rgba\(.*, 0\)|transparent/.test(
				getComputedStyle(page).backgroundColor))
				page = page.parentElement;
			page = getComputedStyle(page).backgroundColor;
			for (const [cls, want] of Object.entries(map)) {
				const i = document.querySelector(`#legend i.${cls}`);
				const c = i && getComputedStyle(i).backgroundColor;

				if (!c || rgb(c).join() !== rgb(want).join())
					out.push(`legend ${cls}: ${c}, the map's ${want}`);
				else
					need(`legend ${cls}`, c, { page }, 3);
			}
			h.destroy();
			return out;
		});

		return bad.length ? bad.join('\n') : undefined;
	});
	await check('no script errors', async () =>
		pageErrors.length ? pageErrors.join('\n') : undefined);

	// The path overlay against the API's path.
	const from = 12, to = 12 + Math.floor(NODES / 2);

	await check(`the path overlay ${from} -> ${to} is the API's path`,
		    async () => {
		await page.selectOption('#path-from', String(from));
		await page.selectOption('#path-to', String(to));
		await page.click('#path-show');
		const p = await api(port, roTok, 'GET',
				    `/api/v1/path?from=${from}&to=${to}`);
		const want = p.hops.map((h) => `${h.node}>${h.via}`);

		if (!p.complete || want.length < 2)
			return `the site's path is not multi-hop: ${JSON.stringify(p)}`;
		await until('the hops', async () =>
			(await page.$$('#path-hops li')).length === want.length);
		const shown = await page.$$eval('#path-hops li', (li) =>
			li.map((x) => x.dataset.node));
		const edges = await cy((c) => c.edges('.path').map((e) =>
			e.id()).sort());
		const wantEdges = p.hops.map((h) => `l${Math.min(h.node, h.via)}-` +
					     `${Math.max(h.node, h.via)}`).sort();

		if (shown.join() !== p.hops.map((h) => h.node).join())
			return `hops shown ${shown}, API ${want}`;
		return edges.join() === wantEdges.join() ||
			`edges drawn ${edges}, API ${wantEdges}`;
	});
	await check('shift-clicking two nodes on the map shows their path',
		    async () => {
		await page.click('#path-clear');
		const box = await page.locator('#map').boundingBox();

		for (const id of [to, from]) {
			const p = await cy((c, i) =>
				c.getElementById(`n${i}`).renderedPosition(), id);

			await page.keyboard.down('Shift');
			await page.mouse.click(box.x + p.x, box.y + p.y);
			await page.keyboard.up('Shift');
		}
		const p = await api(port, roTok, 'GET',
				    `/api/v1/path?from=${to}&to=${from}`);

		await until('the hops', async () => (await page.$$eval(
			'#path-hops li', (li) => li.map((x) => x.dataset.node)))
			.join() === p.hops.map((h) => h.node).join());
		return undefined;
	});
	await page.selectOption('#path-from', String(from));
	await page.selectOption('#path-to', String(to));
	await page.click('#path-show');
	await screenshot(page, 'path');

	await check('a node panel: capabilities, neighbors, drops, time series',
		    async () => {
		await page.selectOption('#node-pick', String(from));
		// This node's panel with its eight charts (four of the node,
		// one for each of its four classes), read in one go: the
		// panel shown before (a shift-click drew one) has charts too,
		// and is replaced while the new one loads.
		const text = await until('the panel', () => page.$eval(
			'#detail-panel', (d, id) => d.querySelector('h2')
				?.textContent.includes(`(node ${id})`) &&
				d.querySelectorAll('.chart').length === 8 &&
				d.querySelector('.uplot') && d.textContent,
			from));

		for (const w of ['Capabilities', 'Neighbors', 'Drops by reason',
				 'no_route', 'Throughput sent', 'cores',
				 'Class realtime: sent'])
			if (!text.includes(w))
				return `missing ${w}`;
		return undefined;
	});
	// The QoS classes the feeder's agents report (per-class
	// counters and the realtime cap), in the panel test 13 opened.
	await check('a node panel: its QoS classes', async () => {
		const qos = await page.$eval('#detail-panel', (d) => d.textContent);

		return qos.includes('Rate cap') && qos.includes('realtime') &&
			qos.includes('8.0 Mbit/s') ? undefined : 'no QoS table';
	});
	await screenshot(page, 'node');

	await check(`a link failure shows on the map within ${FAILURE_MS / 1000} s`,
		    async () => {
		const before = await cy((c) => c.getElementById('l11-12').length);

		if (!before)
			return 'no link 11-12 to fail';
		const t0 = Date.now();

		feeder.stdin.write('down 11 12\n');
		await until('link 11-12 down', () => cy((c) => {
			const e = c.getElementById('l11-12');

			return !e.length || e.hasClass('down');
		}), FAILURE_MS);
		console.log(`# shown ${((Date.now() - t0) / 1000).toFixed(1)} s` +
			    ' after the feeder stopped reporting it (reports every 1 s)');
		return undefined;
	});
	await check('the path avoids the failed link', async () => {
		const p = await until('a new path', async () => {
			const q = await api(port, roTok, 'GET',
					    '/api/v1/path?from=11&to=12');

			return q.hops.length > 1 ? q : null;
		});

		await page.selectOption('#path-from', '11');
		await page.selectOption('#path-to', '12');
		await page.click('#path-show');
		await until('the new hops', async () => (await page.$$eval(
			'#path-hops li', (li) => li.map((x) => x.dataset.node)))
			.join() === p.hops.map((h) => h.node).join());
		return undefined;
	});
	await check('a link\'s width follows its utilization', async () => {
		const busy = 15;

		// Drawn without the path (its links are drawn 6 wide).
		await page.click('#path-clear');
		feeder.stdin.write(`load ${busy} 80\n`);
		// The busy node's links (80%: 7.9 wide) wider than all others
		// (1%: 1.6), and each link as wide as 1.5 + 8 x the API's
		// utilization (the worse direction), on the same refresh.
		let last;

		try {
			await until('the busy links', async () => {
				const topo = await api(port, roTok, 'GET',
						       '/api/v1/topology');
				const drawn = await cy((c) => c.edges().map((e) =>
					[e.data('a'), e.data('b'),
					 e.numericStyle('width')]));
				const util = new Map();

				for (const l of topo.links) {
					const k = [l.from, l.to].sort((x, y) => x - y).join('-');

					util.set(k, Math.max(util.get(k) || 0,
							     l.utilization));
				}
				const wrong = drawn.filter(([a, b, w]) => Math.abs(w -
					(1.5 + 8 * Math.min(1, util.get(`${a}-${b}`)))) > 0.3);
				const busyW = drawn.filter((x) => x[0] === busy ||
							   x[1] === busy).map((x) => x[2]);
				const rest = drawn.filter((x) => x[0] !== busy &&
							  x[1] !== busy).map((x) => x[2]);

				last = JSON.stringify({ drawn, wrong });
				return busyW.length && !wrong.length &&
					Math.min(...busyW) > Math.max(...rest) + 2;
			});
		} catch (e) {
			return `${e.message}; ${last}`;
		}
		return undefined;
	});
	await page.click('#path-show');		// 11 -> 12 again, for the picture
	await screenshot(page, 'map');

	await check('a node that stops reporting turns stale on the map',
		    async () => {
		const last = 10 + NODES;
		const health = () => cy((c, i) =>
			c.getElementById(`n${i}`).data('health'), last);

		if (await health() !== 'up')
			return `node ${last} is ${await health()} at first`;
		feeder.stdin.write(`stop ${last}\n`);
		// Stale after 3 of its intervals (5 s by default).
		await until(`node ${last} stale`, async () =>
			await health() !== 'up');
		const summary = await page.textContent('#summary');
		const colour = await cy((c, i) => c.getElementById(`n${i}`)
			.style('background-color'), last);

		feeder.stdin.write(`start ${last}\n`);
		if (!summary.includes(`(${NODES - 1} up)`))
			return `summary: ${summary}`;
		if (colour !== 'rgb(154,103,0)' && colour !== 'rgb(198,40,40)')
			return `colour: ${colour}`;
		await until(`node ${last} up again`, async () =>
			await health() === 'up');
		return undefined;
	});
	await check('a link panel: both directions and their series', async () => {
		await cy((c) => c.getElementById('l13-14').emit('tap'));
		let text;

		// The link's panel with its eight charts (four a direction),
		// read in one go (the node panel shown before has eight too).
		try {
			text = await until('the panel', () => page.$eval(
				'#detail-panel', (d) => d.querySelector('h2')
					?.textContent.startsWith('Link ') &&
					d.querySelectorAll('.uplot').length === 8 &&
					d.textContent));
		} catch (e) {
			return `${e.message}; the panel: ` +
				await page.textContent('#detail-panel');
		}

		for (const w of ['As n13 (13) measures it', 'As n14 (14) measures it',
				 'RTT', 'Loss', 'Sent on the link', 'Utilization'])
			if (!text.includes(w))
				return `missing ${w}`;
		return undefined;
	});
	await check('a remediation shows in the timeline by the stream: rule, action, outcome',
		    async () => {
		const silent = 10 + NODES - 1;
		const t0 = Date.now();

		await page.click('#tab-events');
		// The page may not read the log meanwhile: the row comes by
		// the stream, or not at all.
		const blocked = [];
		const block = (route) => {
			blocked.push(route.request().url());
			return route.abort();
		};

		await page.route('**/api/v1/remediation/log*', block);
		feeder.stdin.write(`stop ${silent}\n`);
		let log, logged;

		try {
			// The log's entry, its hook done.
			log = await until(`a decision on node ${silent}`, async () =>
				(await api(port, roTok, 'GET',
					   '/api/v1/remediation/log')).entries.find(
					(e) => e.node === silent && e.outcome));
			logged = Date.now();
		} finally {
			feeder.stdin.write(`start ${silent}\n`);
		}
		const want = ['rule restart-dead, act, action hook',
			      `outcome: ok: exit 0: restarted n${silent}`];

		if (log.rule !== 'restart-dead' || log.verdict !== 'act' ||
		    log.action !== 'hook' || !log.outcome.startsWith('ok: exit 0'))
			return `the log: ${JSON.stringify(log)}`;
		// Live: the decision and its outcome on the stream.
		try {
			await until('the row', async () => (await page.$$eval(
				'#timeline tbody tr.kind-remediation',
				(tr) => tr.map((x) => [...x.cells].map((c) =>
					c.textContent)))).some((r) =>
				r[2].includes(`(${silent})`) &&
				want.every((w) => r[3].includes(w))));
		} catch (e) {
			return `${e.message}; log reads refused: ${blocked.length}` +
				'; rows: ' + (await page.$$eval(
					'#timeline tbody tr.kind-remediation',
					(tr) => tr.map((x) => x.textContent)))
					.join('\n');
		} finally {
			await page.unroute('**/api/v1/remediation/log*', block);
		}
		console.log(`# shown ${((Date.now() - t0) / 1000).toFixed(1)} s` +
			    ` after node ${silent} stopped reporting (unreachable` +
			    ` after ${REMEDY_STALE_S} s, the rule's for ${REMEDY_FOR_S} s),` +
			    ` ${((Date.now() - logged) / 1000).toFixed(1)} s after the` +
			    ` log had its outcome; ${blocked.length} log reads refused`);
		return undefined;
	});
	await check('the timeline shows the controller\'s events', async () => {
		await page.click('#tab-events');
		const ev = (await api(port, roTok, 'GET', '/api/v1/events')).events;

		if (!ev.length)
			return 'the API has no events';
		const kinds = [...new Set(ev.map((e) => e.kind))];

		await until('the rows', async () => {
			const shown = await page.$$eval('#timeline tbody td:nth-child(2)',
				(td) => td.map((x) => x.textContent));

			return kinds.every((k) => shown.includes(k));
		});
		// The filter: failures only.
		await page.selectOption('#event-filter', 'failure');
		const shown = await page.$$eval('#timeline tbody td:nth-child(2)',
			(td) => td.map((x) => x.textContent));

		if (!shown.length || shown.some((k) => !/^(node|link)-/.test(k)))
			return `failures shown: ${shown}`;
		await page.selectOption('#event-filter', '');
		return undefined;
	});
	await screenshot(page, 'events');

	// ---- policy ----
	await page.click('#tab-policy');
	await until('the editor', () => page.isVisible('#policy-text'));
	const edit = async (text) => {
		await page.fill('#policy-text', text);
		await page.click('#policy-apply');
	};

	await check('a valid policy edit applies as the next version', async () => {
		await edit(policy0.replace('"max_hops": 6', '"max_hops": 7'));
		await until('applied', () => page.isVisible('#policy-ok'));
		const cur = await api(port, roTok, 'GET', '/api/v1/policy');

		return cur.version === 2 && cur.policy.includes('"max_hops": 7') ||
			`current: v${cur.version}`;
	});
	await check('an invalid policy edit shows the error and changes nothing',
		    async () => {
		const before = await api(port, roTok, 'GET', '/api/v1/policy');
		const hist = await api(port, roTok, 'GET', '/api/v1/policy/history');

		await edit(before.policy.replace('"allow from zone web to zone web"',
						 '"allow from zone web to zone nowhere"'));
		await until('the refusal', () => page.isVisible('#policy-error'));
		const loc = await page.textContent('#policy-error-location');
		const why = await page.textContent('#policy-error-reason');
		const after = await api(port, roTok, 'GET', '/api/v1/policy');
		const hist2 = await api(port, roTok, 'GET', '/api/v1/policy/history');

		if (!loc || !why || !why.includes('nowhere'))
			return `location "${loc}", reason "${why}"`;
		const marked = await page.$eval('#policy-text', (ta) =>
			ta.value.slice(ta.selectionStart, ta.selectionEnd));

		if (!marked.includes('nowhere'))
			return `the editor marks "${marked}", not the rule refused`;
		if (after.version !== before.version || after.policy !== before.policy ||
		    hist2.versions.length !== hist.versions.length)
			return `the policy changed: v${before.version} -> v${after.version}`;
		return (await page.isVisible('#policy-ok')) ?
			'"applied" shown too' : undefined;
	});
	await screenshot(page, 'policy-error');
	await check('the agents table shows every agent on the current version',
		    async () => {
		const cur = await api(port, roTok, 'GET', '/api/v1/policy');

		// Live: no reload, the agents' reports refresh it.
		await until('the agents', async () => {
			const rows = await page.$$eval('#agents tbody tr',
				(tr) => tr.map((x) => x.textContent));

			return rows.length === NODES && rows.every((r) =>
				r.includes(`v${cur.version} (current)`));
		});
		return undefined;
	});

	// ---- read-only ----
	await check('a read-only token sees no editor, and is told why',
		    async () => {
		const ro = sameOrigin(await (await browser.newContext()).newPage());

		await signIn(ro, url, roTok);
		await ro.click('#tab-policy');
		await until('the policy', async () =>
			(await ro.textContent('#policy-version')).startsWith('v'));
		const who = await ro.textContent('#who');
		const editor = await ro.isVisible('#policy-edit');
		const note = await ro.textContent('#policy-readonly');
		const rollback = await ro.$$('text=Roll back to');

		if (who !== 'read-only' || editor || !/not edit/.test(note) ||
		    rollback.length)
			return JSON.stringify({ who, editor, note,
						rollback: rollback.length });
		await ro.context().close();
		return undefined;
	});
	await check('a node\'s time series with the browser\'s clock 2 min behind',
		    async () => {
		// The controller's last hour, not the browser's: asked from a
		// second before its raw tier's hour, the controller answers
		// from the minute tier, empty on a young site.
		const c2 = await browser.newContext({
			viewport: { width: 1400, height: 900 } });

		await c2.addInitScript(() => {
			const real = Date.now;

			Date.now = () => real() - 120000;
		});
		const p = sameOrigin(await c2.newPage());

		await signIn(p, url, roTok);
		await until('the node list', async () => {
			await p.selectOption('#node-pick', String(from),
					     { timeout: 1000 });
			return true;
		});
		try {
			await until('the charts', () => p.$eval('#detail-panel',
				(d, id) => d.querySelector('h2')?.textContent
					.includes(`(node ${id})`) &&
					d.querySelectorAll('.uplot').length === 8,
				from));
		} catch (e) {
			return `${e.message}; the panel: ` +
				await p.textContent('#detail-panel');
		} finally {
			await c2.close();
		}
		return undefined;
	});
	await check('a wrong token is refused at sign-in', async () => {
		const p2 = sameOrigin(await (await browser.newContext()).newPage());

		await p2.goto(url);
		await p2.fill('#token', 'f'.repeat(64));
		await p2.click('#signin-form button[type=submit]');
		await until('the refusal', async () =>
			(await p2.textContent('#signin-error')).includes('unknown'));
		await p2.context().close();
		return undefined;
	});
	await check('every request of the pages went to the controller',
		    async () => offOrigin.length ?
		    [...new Set(offOrigin)].join('\n') : undefined);
	await browser.close();
	fs.rmSync(dir, { recursive: true, force: true });
}

try {
	await main();
} catch (e) {
	ok(false, 'the test harness', e.stack || e.message);
} finally {
	for (const c of children)
		c.kill('SIGTERM');
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
