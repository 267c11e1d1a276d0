// SPDX-License-Identifier: GPL-2.0
/* Small files of secrets and state (xmesh_file.h). */
#include "xmesh_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"	/* xm_seckey_check() */

ssize_t xm_file_read(const char *path, void *buf, size_t max, bool nofollow,
		     mode_t *mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	char more;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		n = -errno;
		close(fd);
		return n;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (mode)
		*mode = st.st_mode;
	while (len < max &&
	       (n = read(fd, (char *)buf + len, max - len)) > 0)
		len += (size_t)n;
	if (n >= 0 && len == max && (n = read(fd, &more, 1)) > 0)
		n = -1, errno = EFBIG;
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (ssize_t)len;
}

/*
 * Put the temporary file in place: renamed over path with replace, else
 * only if path does not exist. FAT (a USB stick for the authority key)
 * has RENAME_NOREPLACE but no hard links; older filesystems the reverse.
 */
static int put_in_place(const char *tmp, const char *path, bool replace)
{
	if (replace)
		return rename(tmp, path);
	if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path))
		return -1;
	unlink(tmp);
	return 0;
}

int xm_file_write(const char *path, const void *buf, size_t len, mode_t mode,
		  bool replace)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (!replace && access(path, F_OK) == 0)
		return -EEXIST;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) || write(fd, buf, len) != (ssize_t)len ||
	    fsync(fd)) {
		err = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		return -err;
	}
	close(fd);
	if (put_in_place(tmp, path, replace)) {
		err = errno;
		unlink(tmp);
		return -err;
	}
	return 0;
}

int xm_seckey_read(const char *path, uint8_t sk[XM_SECKEY_FILE_LEN],
		   uint8_t pk[32], bool *loose, bool nofollow)
{
	uint8_t seed_pk[XM_PUBKEY_LEN];
	mode_t mode = 0;
	ssize_t n;
	int ret = 0;

	_Static_assert(XM_SECKEY_LEN == XM_SECKEY_FILE_LEN,
		       "an Ed25519 secret key");
	n = xm_file_read(path, sk, XM_SECKEY_FILE_LEN, nofollow, &mode);
	if (n < 0)
		ret = n == -EFBIG ? -EBADMSG : (int)n;
	else if (n != XM_SECKEY_FILE_LEN)
		ret = -EBADMSG;
	else if (!xm_seckey_check(sk, seed_pk))
		ret = -EKEYREJECTED;
	if (ret) {
		sodium_memzero(sk, XM_SECKEY_FILE_LEN);
		return ret;
	}
	if (pk)
		memcpy(pk, seed_pk, sizeof(seed_pk));
	if (loose)
		*loose = mode & (S_IRWXG | S_IRWXO);
	return 0;
}

int xm_seckey_create(const char *path, uint8_t pk[32])
{
	uint8_t sk[XM_SECKEY_FILE_LEN];
	int ret;

	crypto_sign_keypair(pk, sk);
	ret = xm_file_write(path, sk, sizeof(sk), 0600, false);
	sodium_memzero(sk, sizeof(sk));
	return ret;
}
