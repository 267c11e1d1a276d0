// SPDX-License-Identifier: GPL-2.0
// Small DOM helpers: elements are built with textContent only, never
// from HTML text, so nothing the API returns can run as script.

export function el(tag, attrs, ...children) {
	const e = document.createElement(tag);

	for (const [k, v] of Object.entries(attrs || {})) {
		if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (v !== undefined && v !== null && v !== false)
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children)
		if (c !== undefined && c !== null)
			e.append(c instanceof Node ? c : String(c));
	return e;
}

export function fmtTime(t) {
	if (!t)
		return '-';
	return new Date(t * 1000).toISOString().replace('T', ' ')
		.replace(/\.\d+Z$/, 'Z');
}

export function fmtBps(v) {
	v = Number(v) || 0;
	const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
	let i = 0;

	while (Math.abs(v) >= 1000 && i < units.length - 1) {
		v /= 1000;
		i++;
	}
	return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

function cell(v) {
	return v instanceof Node ? v : String(v ?? '-');
}

export function table(head, rows) {
	return el('table', {},
		  el('thead', {}, el('tr', {}, ...head.map((h) =>
			  el('th', { scope: 'col' }, h)))),
		  el('tbody', {}, ...rows.map((r) => el('tr', {},
			  ...r.map((v) => el('td', typeof v === 'number' ?
					     { class: 'num' } : {},
					     cell(v)))))));
}

// An object as a two-column table (nested objects as JSON).
export function kvTable(o) {
	const rows = Object.entries(o).map(([k, v]) =>
		[k, typeof v === 'object' ? JSON.stringify(v) : v]);

	if (!rows.length)
		return el('p', { class: 'hint' }, 'none');
	return el('table', {}, el('tbody', {}, ...rows.map(([k, v]) =>
		el('tr', {}, el('th', { scope: 'row' }, k),
		   el('td', typeof v === 'number' ? { class: 'num' } : {},
		      cell(v))))));
}
