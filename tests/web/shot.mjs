// SPDX-License-Identifier: GPL-2.0
// A screenshot of a running dashboard (for the docs: the demo's mesh,
// scripts/demo.sh), in Debian's headless chromium (/usr/bin/chromium, or
// $CHROMIUM) driven by playwright-core (npm ci in tests/web first, or
// tests/web/run.sh):
//
//   node tests/web/shot.mjs URL TOKEN FILE [VIEW...]
//
// VIEWs, shown in order before the picture is taken (the map alone if
// none): `path A B` (the path overlay from node A to node B), `node N` (a
// node's panel), `link A B` (a link's panel), `events` (the timeline),
// `policy` (the policy view). Each waits until what it shows is drawn;
// the map waits for every node and link the API has.

import { chromium } from 'playwright-core';

const DEADLINE_MS = 60000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until it returns a truthy value; throw after the deadline.
async function until(what, fn) {
	const end = Date.now() + DEADLINE_MS;
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

function usage() {
	console.error('usage: shot.mjs URL TOKEN FILE [path A B | node N | ' +
		      'link A B | events | policy]...');
	process.exit(2);
}

async function main() {
	const [url, token, file, ...views] = process.argv.slice(2);

	if (!file)
		usage();
	const api = async (p) => {
		const r = await fetch(new URL(`api/v1/${p}`, url), {
			headers: { Authorization: `Bearer ${token}` } });

		if (!r.ok)
			throw new Error(`GET ${p}: ${r.status}`);
		return r.json();
	};
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox'] });
	const page = await (await browser.newContext({
		viewport: { width: 1400, height: 900 } })).newPage();
	// fn(cy, arg) on the map's cytoscape instance (an expression: the
	// page's CSP forbids eval).
	const cy = (fn, arg) => page.evaluate(`(${fn})(` +
		`window.xmeshDashboard.map.cy, ${JSON.stringify(arg ?? null)})`);
	const hops = () => page.$$eval('#path-hops li',
				       (li) => li.map((x) => x.dataset.node).join());

	await page.goto(url);
	await page.fill('#token', token);
	await page.click('#signin-form button[type=submit]');
	await until('signed in', () => page.evaluate(() =>
		document.getElementById('who').textContent));
	await until('the map', async () => {
		const topo = await api('topology');
		const pairs = new Set(topo.links.map((l) =>
			[l.from, l.to].sort((a, b) => a - b).join('-')));
		const [nodes, edges] = await cy((c) =>
			[c.nodes('[node]').length, c.edges().length]);

		return topo.nodes.length && nodes === topo.nodes.length &&
			edges === pairs.size;
	});
	while (views.length) {
		const v = views.shift();

		if (v === 'path') {
			const [a, b] = views.splice(0, 2);
			const p = await api(`path?from=${a}&to=${b}`);

			await page.selectOption('#path-from', a);
			await page.selectOption('#path-to', b);
			await page.click('#path-show');
			await until('the path', async () => await hops() ===
				    p.hops.map((h) => h.node).join());
		} else if (v === 'node') {
			await page.selectOption('#node-pick', views.shift());
			await until('the node panel', () =>
				page.$('#detail-panel .uplot'));
		} else if (v === 'link') {
			const [a, b] = views.splice(0, 2).map(Number);

			await cy((c, id) => c.getElementById(id).emit('tap'),
				 `l${Math.min(a, b)}-${Math.max(a, b)}`);
			await until('the link panel', async () =>
				(await page.$$('#detail-panel .uplot')).length >= 2);
		} else if (v === 'events') {
			await page.click('#tab-events');
			await until('the timeline', () =>
				page.$('#timeline tbody td'));
		} else if (v === 'policy') {
			await page.click('#tab-policy');
			await until('the policy', async () =>
				/\d/.test(await page.textContent('#policy-version')));
		} else {
			usage();
		}
	}
	await sleep(1000);	// charts and the map settle
	await page.screenshot({ path: file });
	await browser.close();
}

main().catch((e) => {
	console.error(`shot.mjs: ${e.stack || e.message}`);
	process.exit(1);
});
