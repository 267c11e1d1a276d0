/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small files of secrets and state, as the tool and xmeshd both read and
 * write them: whole files of bounded size, written so that a crash leaves
 * the old file or the new one (a temporary file beside it, synced, then
 * put in place), never over an existing file unless asked; and the node's
 * and authority's Ed25519 secret key files.
 */
#ifndef XMESH_FILE_H
#define XMESH_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The whole of path into buf, at most max bytes: its length, or -errno
 * (-EFBIG if it has more than max bytes, -EINVAL if not a regular file).
 * With nofollow, a symbolic link is refused (ELOOP): for files in a state
 * directory. *mode (if not NULL) gets its mode.
 */
ssize_t xm_file_read(const char *path, void *buf, size_t max, bool nofollow,
		     mode_t *mode);

/*
 * Write len bytes to path, mode mode: over an existing file only with
 * replace. 0, or -errno (-EEXIST: it exists and not replace).
 */
int xm_file_write(const char *path, const void *buf, size_t len, mode_t mode,
		  bool replace);

#define XM_SECKEY_FILE_LEN	64	/* libsodium's Ed25519 secret key */

/*
 * A secret key file (the seed, then the public key: 64 bytes, as
 * xm_seckey_create() writes them) into sk, its public key into pk (may be
 * NULL); nofollow as for xm_file_read(). 0; -errno of reading it; -EBADMSG
 * if it is not 64 bytes; -EKEYREJECTED if damaged (its public half is not
 * its seed's: it would sign what no one can verify). *loose (may be NULL)
 * tells whether group or others may read it (worth a warning). sk is
 * wiped on failure.
 */
int xm_seckey_read(const char *path, uint8_t sk[XM_SECKEY_FILE_LEN],
		   uint8_t pk[32], bool *loose, bool nofollow);

/*
 * A new key pair: its secret key written to path (mode 0600, never over a
 * file), its public key into pk. 0, or xm_file_write()'s -errno.
 */
int xm_seckey_create(const char *path, uint8_t pk[32]);

#endif /* XMESH_FILE_H */
