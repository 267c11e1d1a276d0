// SPDX-License-Identifier: GPL-2.0
#include "caps.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

static FILE *open_proc(const struct xmd_caps_paths *paths, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", paths->proc, name);
	return fopen(path, "re");
}

/* Online CPUs: the "cpuN" lines of /proc/stat. */
static int read_cores(const struct xmd_caps_paths *paths, uint16_t *out)
{
	FILE *f = open_proc(paths, "stat");
	char line[256];
	unsigned int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9')
			n++;
		/* A line longer than the buffer: skip its rest. */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	if (!n)
		return -1;
	*out = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
	return 0;
}

/* The 1-minute load average, times 100. */
static int read_load(const struct xmd_caps_paths *paths, uint16_t *out)
{
	FILE *f = open_proc(paths, "loadavg");
	double load;
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%lf", &load) == 1;
	fclose(f);
	if (!ok || !(load >= 0))
		return -1;
	load = load * 100 + 0.5;
	*out = load >= UINT16_MAX ? UINT16_MAX : (uint16_t)load;
	return 0;
}

static uint32_t kb_to_mb(uint64_t kb)
{
	kb /= 1024;
	return kb > UINT32_MAX ? UINT32_MAX : (uint32_t)kb;
}

/* MemTotal and MemAvailable (MemFree on kernels without it), in MB. */
static int read_mem(const struct xmd_caps_paths *paths, uint32_t *total,
		    uint32_t *avail)
{
	FILE *f = open_proc(paths, "meminfo");
	bool has_total = false, has_avail = false, has_free = false;
	uint64_t t = 0, a = 0, fr = 0, v;
	char line[256], key[64];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %" SCNu64, key, &v) != 2)
			continue;
		if (!strcmp(key, "MemTotal")) {
			t = v;
			has_total = true;
		} else if (!strcmp(key, "MemAvailable")) {
			a = v;
			has_avail = true;
		} else if (!strcmp(key, "MemFree")) {
			fr = v;
			has_free = true;
		}
	}
	fclose(f);
	if (!has_total || (!has_avail && !has_free))
		return -1;
	*total = kb_to_mb(t);
	*avail = kb_to_mb(has_avail ? a : fr);
	return 0;
}

static uint32_t bytes_to_gb(uint64_t blocks, uint64_t bsize)
{
	long double gb = (long double)blocks * bsize / (1024.0L * 1024 * 1024);

	return gb >= UINT32_MAX ? UINT32_MAX : (uint32_t)gb;
}

static int read_disk(const struct xmd_caps_paths *paths, uint32_t *total,
		     uint32_t *avail)
{
	struct statvfs st;

	if (!paths->storage || statvfs(paths->storage, &st))
		return -1;
	*total = bytes_to_gb(st.f_blocks, st.f_frsize);
	*avail = bytes_to_gb(st.f_bavail, st.f_frsize);
	return 0;
}

static uint32_t clamp(double v, uint32_t max)
{
	return v >= max ? max : (uint32_t)v;
}

/*
 * The test hook (caps.h): the file at $XMESHD_CAPS_OVERRIDE, "%n" in it
 * the node's name, overrides the values it names.
 */
static void caps_override(struct xm_caps *caps)
{
	const char *t = getenv(XMD_CAPS_OVERRIDE_ENV);
	char path[512], line[128], key[32];
	size_t o = 0, n;
	double v;
	FILE *f;

	if (!t || !*t)
		return;
	for (; *t && o + 1 < sizeof(path); t++) {
		if (t[0] == '%' && t[1] == 'n') {
			n = strnlen(caps->name, sizeof(caps->name));
			if (o + n + 1 > sizeof(path))
				return;
			memcpy(path + o, caps->name, n);
			o += n;
			t++;
		} else {
			path[o++] = *t;
		}
	}
	path[o] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %lf", key, &v) != 2 || !(v >= 0))
			continue;
		if (!strcmp(key, "cores"))
			caps->cpu_cores = (uint16_t)clamp(v, UINT16_MAX);
		else if (!strcmp(key, "load"))
			caps->cpu_load = (uint16_t)clamp(v * 100 + 0.5,
							 UINT16_MAX);
		else if (!strcmp(key, "mem_total_mb"))
			caps->mem_total_mb = clamp(v, UINT32_MAX);
		else if (!strcmp(key, "mem_free_mb"))
			caps->mem_free_mb = clamp(v, UINT32_MAX);
		else if (!strcmp(key, "disk_total_gb"))
			caps->disk_total_gb = clamp(v, UINT32_MAX);
		else if (!strcmp(key, "disk_free_gb"))
			caps->disk_free_gb = clamp(v, UINT32_MAX);
	}
	fclose(f);
}

int xmd_caps_read(const struct xmd_caps_paths *paths, struct xm_caps *caps)
{
	int ok = 0;

	caps->cpu_cores = 0;
	caps->cpu_load = 0;
	caps->mem_total_mb = caps->mem_free_mb = 0;
	caps->disk_total_gb = caps->disk_free_gb = 0;
	ok += !read_cores(paths, &caps->cpu_cores);
	ok += !read_load(paths, &caps->cpu_load);
	ok += !read_mem(paths, &caps->mem_total_mb, &caps->mem_free_mb);
	ok += !read_disk(paths, &caps->disk_total_gb, &caps->disk_free_gb);
	caps_override(caps);
	return ok ? 0 : -1;
}
