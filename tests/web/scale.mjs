// SPDX-License-Identifier: GPL-2.0
// The dashboard at scale (a measurement, not a test): a real controller
// fed by the feeder's simulated site of XMESH_WEB_NODES agents (default
// 1000, each reporting every 5 s), the page in headless chromium. Prints
// the time from opening the page to the map drawn with every node, the
// frame rate while the map is dragged around, and the time to draw one
// refresh from the event stream. Run by `tests/web/run.sh scale`.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '../..');
const NODES = Number(process.env.XMESH_WEB_NODES || 1000);
const ctlBin = path.join(top, 'controller/xmesh-controller');
const feederBin = path.join(here, 'out/feeder');
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms) {
	const end = Date.now() + ms;

	for (;;) {
		const v = await fn().catch(() => null);

		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(100);
	}
}

function lines(stream) {
	const seen = [];
	let buf = '';

	stream.setEncoding('utf8');
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

async function main() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmesh-scale-'));
	const db = ['--db', path.join(dir, 'c.db')];

	execFileSync(feederBin, ['init', dir]);
	const tok = execFileSync(ctlBin, [...db, 'token', 'add', 'read-only',
					  'scale']).toString().trim();
	const ctl = spawn(ctlBin, [...db,
		'--authority', path.join(dir, 'authority.cert'),
		'--policy-key', path.join(dir, 'policy.key'),
		'--policy-cert', path.join(dir, 'policy.cert'),
		'--port', '0', '--web', path.join(top, 'controller/build/web')]);

	children.push(ctl);
	const log = lines(ctl.stderr);
	const port = Number((await until('the controller', async () => log
		.map((l) => /listening on [\d.]+:(\d+)/.exec(l))
		.find(Boolean), 10000))[1]);
	const feeder = spawn(feederBin, ['run', dir, `http://127.0.0.1:${port}`,
					 String(NODES), '5']);

	children.push(feeder);
	const out = lines(feeder.stdout);
	const t0 = Date.now();

	await until('a first round', async () =>
		out.some((l) => l.startsWith('round 1 ')), 600000);
	const round = (Date.now() - t0) / 1000;

	console.log(`# ${NODES} agents: ${out.find((l) => l.startsWith('round 1 '))}` +
		    ` (${round.toFixed(1)} s for the first round, SPF included)`);
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox'] });
	const page = await (await browser.newContext({
		viewport: { width: 1400, height: 900 } })).newPage();
	const start = Date.now();

	await page.goto(`http://127.0.0.1:${port}/`);
	await page.fill('#token', tok);
	await page.click('#signin-form button[type=submit]');
	await until('the map', () => page.evaluate((n) => {
		const d = window.xmeshDashboard;

		return d && d.map.cy.nodes('[node]').length === n;
	}, NODES), 120000);
	// One frame after the elements: the map is on the screen.
	await page.evaluate(() => new Promise((r) =>
		requestAnimationFrame(() => requestAnimationFrame(r))));
	const ttfr = (Date.now() - start) / 1000;
	const edges = await page.evaluate(() =>
		window.xmeshDashboard.map.cy.edges().length);

	console.log(`# time to first render: ${ttfr.toFixed(2)} s` +
		    ` (${NODES} nodes, ${edges} links)`);
	const res = await page.evaluate(() => performance
		.getEntriesByType('resource').map((r) =>
			[r.name.replace(/^https?:\/\/[^/]+/, ''),
			 Math.round(r.startTime), Math.round(r.duration)]));

	console.log(`# requests (path, start ms, duration ms): ` +
		    JSON.stringify(res.filter((r) => r[0].startsWith('/api'))));
	// Frames while the map is dragged for 5 s.
	await page.evaluate(() => {
		window.frames_ = 0;
		const tick = () => {
			window.frames_++;
			requestAnimationFrame(tick);
		};

		requestAnimationFrame(tick);
	});
	const box = await page.locator('#map').boundingBox();
	const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
	const f0 = await page.evaluate(() => window.frames_);
	const d0 = Date.now();

	await page.mouse.move(cx, cy);
	await page.mouse.down();
	for (let i = 0; Date.now() - d0 < 5000; i++) {
		await page.mouse.move(cx + 150 * Math.sin(i / 10),
				      cy + 100 * Math.cos(i / 10));
	}
	await page.mouse.up();
	const fps = (await page.evaluate(() => window.frames_) - f0) /
		((Date.now() - d0) / 1000);

	console.log(`# frame rate while dragging the map: ${fps.toFixed(1)}/s`);
	// A refresh from the stream: topology fetched and drawn.
	const refresh = await page.evaluate(async () => {
		const d = window.xmeshDashboard;
		const t = performance.now();
		const r = await fetch('/api/v1/topology', { headers: {
			Authorization: `Bearer ${sessionStorage.getItem('xmesh.token')}` } });
		const topo = await r.json();
		const t1 = performance.now();

		d.map.update(topo);
		return [t1 - t, performance.now() - t1];
	});

	console.log(`# a refresh: topology fetched in ${refresh[0].toFixed(0)} ms,` +
		    ` drawn in ${refresh[1].toFixed(0)} ms`);
	const again = await page.evaluate(async () => {
		const d = window.xmeshDashboard;
		const frame = () => new Promise((r) =>
			requestAnimationFrame(() => requestAnimationFrame(r)));

		d.map.cy.elements().remove();
		d.map.nodeIds = '';
		await frame();
		const t0 = performance.now();

		d.map.update(d.state.topo);
		const t1 = performance.now();

		await frame();
		return [t1 - t0, performance.now() - t1];
	});

	console.log(`# the whole map again: elements and layout ` +
		    `${again[0].toFixed(0)} ms, first frame ${again[1].toFixed(0)} ms`);
	await page.screenshot({ path: path.join(here, 'out/dashboard-scale.png') });
	await browser.close();
	fs.rmSync(dir, { recursive: true, force: true });
}

try {
	await main();
} finally {
	for (const c of children)
		c.kill('SIGTERM');
}
