/* SPDX-License-Identifier: MIT */
/*
 * pc_config.h - the phone's configuration: VP530-style `key = value` files, checked against a
 * table of known keys, layered (later files and the command line win), read through typed
 * getters that fall back to each key's default.
 *
 * File format (the Yealink VP530 administrator's guide, v70 firmware; ../shared/VP530.md):
 *   - the first line is `#!version:1.0.0.1` (required; a UTF-8 byte order mark before it and
 *     blanks after it are tolerated); lines end in LF or CR LF; the last may lack its end;
 *   - then `key = value` lines, blank lines and comment lines (first non-blank byte `#`);
 *   - blanks (space, tab) around the key and the value are trimmed; a key is [A-Za-z0-9_.]+;
 *   - an unquoted value ends at a `#` that starts it or follows a blank (a trailing comment);
 *     a value in double quotes is taken as is up to the closing quote (no escapes, so it cannot
 *     hold a quote); only blanks and a comment may follow the closing quote;
 *   - a value may be empty: for a string key that sets the empty string; for a key of another
 *     type it sets nothing (the key keeps its earlier value or default), as the blank lines of
 *     the Yealink template files expect;
 *   - errors: a line of more than PC_CONFIG_LINE_MAX bytes (without its CR LF), no `=`, a bad
 *     key, a NUL byte, a control byte other than tab in a value, a bad quoted value, a missing
 *     first line, and a known key's value that is not of its type or not in its range.
 * Errors are one line, `NAME:LINE: reason` (a value error names the key, the value and what is
 * allowed). A buffer with an error changes nothing in the configuration (it is checked whole
 * before any of it is applied; only running out of memory can leave it half applied).
 *
 * Known keys: every key of the VP530 table (account.X.* for X = 1..PC_CONFIG_ACCOUNTS,
 * account.X.codec.N.* for N = 1..PC_CONFIG_CODECS, account.X.sip_server.N.expires for
 * N = 1..PC_CONFIG_SIP_SERVERS, features.*, call_waiting.*, transfer.*, sip.*, voice.*,
 * network.*) and phonecore's own under phonecore.* (phonecore.media.io, .dpdk.eal_args,
 * .dpdk.ipv4, .pool_pkts, .burst, .cpu, .idle, .max_streams). `phonecore config show` lists
 * them all with their defaults. Unknown keys (the VP530 ignores keys it does not know) are kept,
 * up to PC_CONFIG_MAX_UNKNOWN of them, and each line that sets one is reported as a warning.
 *
 * Thread context: none of its own; one thread at a time may change a configuration, and the
 * getters may run in several threads at once while nothing changes it. No global state.
 * Allocates: pc_config_create(), and the loads and pc_config_set() (a copy of each value kept,
 * freed when it is replaced or on destroy). The number of keys kept is bounded: the known keys
 * have a slot each, unknown keys at most PC_CONFIG_MAX_UNKNOWN, file names at most
 * PC_CONFIG_MAX_FILES.
 */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_CONFIG_HEADER "#!version:1.0.0.1"
#define PC_CONFIG_LINE_MAX 1024u      /* bytes in a line, without its CR LF */
#define PC_CONFIG_FILE_MAX (1u << 20) /* bytes pc_config_load_file() reads at most */
#define PC_CONFIG_MAX_UNKNOWN 256u    /* unknown keys kept; more are dropped with a warning */
#define PC_CONFIG_MAX_FILES 64u	      /* distinct source names a configuration remembers */
#define PC_CONFIG_ERR_MAX 512u	      /* an error buffer of this size never truncates much */
#define PC_CONFIG_ACCOUNTS 4u	      /* account.X, X = 1..4 */
#define PC_CONFIG_CODECS 8u	      /* account.X.codec.N, N = 1..8 */
#define PC_CONFIG_SIP_SERVERS 2u      /* account.X.sip_server.N, N = 1..2 */

struct pc_config;

/* Receives one warning line (`NAME:LINE: warning: ...`, no newline); @msg is borrowed for the
 * call. Called in the thread that loads or sets. */
typedef void (*pc_config_warn_h)(const char *msg, void *arg);

/* One key of the effective configuration, as pc_config_foreach() hands it out. Every pointer is
 * borrowed and valid only during the callback. */
struct pc_config_item {
	const char *key;
	const char *value;  /* the text after quoting and trimming; "" when empty */
	const char *source; /* "default", "command line" or the name of the file */
	unsigned line;	    /* the line in the file; 0 for "default" and "command line" */
	bool known;	    /* in the table of known keys */
	bool set;	    /* the value comes from a file or the command line, not the default */
};

/* Called for each item; a nonzero return stops the walk and is returned by pc_config_foreach. */
typedef int (*pc_config_item_h)(const struct pc_config_item *item, void *arg);

#define PC_CONFIG_ALL 0u      /* every known key (set or default), then the unknown keys */
#define PC_CONFIG_SET_ONLY 1u /* only the keys a file or the command line set */

/*
 * pc_config_create - an empty configuration: every known key at its default. @warn (may be
 * NULL: warnings are only counted) receives the warnings with @arg (retained, not owned).
 * Returns 0 or -ENOMEM; writes *@out only on success. Allocates.
 */
int pc_config_create(struct pc_config **out, pc_config_warn_h warn, void *arg);

/* pc_config_destroy - free @cfg (NULL is fine) and every value it kept. */
void pc_config_destroy(struct pc_config *cfg);

/*
 * pc_config_load_buf - apply the configuration text @buf of @len bytes (borrowed; read only
 * inside [buf, buf + len), needs no NUL) named @name (borrowed, copied: used in messages and as
 * the source of what it sets) over what @cfg holds: later values win.
 * Returns 0; -EBADMSG bad syntax; -EINVAL a known key's value not of its type; -ERANGE a known
 * key's value outside its range; -ENOSPC more than PC_CONFIG_MAX_FILES names; -ENOMEM. On error
 * writes one line to @err (@errlen bytes, NUL-terminated; may be NULL when @errlen is 0) and
 * @cfg is as it was (except after -ENOMEM); on success writes "". Allocates.
 */
int pc_config_load_buf(struct pc_config *cfg, const char *name, const void *buf, size_t len,
		       char *err, size_t errlen);

/*
 * pc_config_load_file - read the regular file @path (borrowed; its name is the source in
 * messages) of at most PC_CONFIG_FILE_MAX bytes and pc_config_load_buf() it. Returns what that
 * returns, or -errno when the file cannot be opened or read, -EFBIG when it is too large; the
 * error line is then `PATH: reason`. Allocates a buffer for the file while it loads.
 */
int pc_config_load_file(struct pc_config *cfg, const char *path, char *err, size_t errlen);

/*
 * pc_config_set - set @key to @value (both borrowed, copied; NUL-terminated; taken literally:
 * no trimming, quoting or comments) with the checks of a file line, the source being
 * "command line". An unknown key is kept with a warning. Returns 0, -EBADMSG (bad key, a value
 * longer than PC_CONFIG_LINE_MAX or with a control byte), -EINVAL, -ERANGE or -ENOMEM; on error
 * writes `command line: reason` to @err. Allocates.
 */
int pc_config_set(struct pc_config *cfg, const char *key, const char *value, char *err,
		  size_t errlen);

/*
 * The getters: the effective value of @key (NUL-terminated, borrowed): the last value set, or the
 * default of a known key. Each returns 0 and writes *@out, or
 *   -ENOENT   @key is not a known key and nothing set it;
 *   -ENODATA  the value is empty (a getter other than pc_config_get_str; e.g. the payload_type
 *             of the spare codec slots 5..8, whose default is empty);
 *   -EINVAL   the value is not of the type asked: a known key must be of a fitting type (below),
 *             an unknown key's text must parse as the type.
 * pc_config_get_str:    any key. *@out is borrowed from @cfg: valid until the next load, set or
 *                       destroy.
 * pc_config_get_int:    integer and boolean keys; for a key that takes one of a list of words
 *                       (phonecore.media.io, .idle) the word's position in the list, from 0.
 * pc_config_get_bool:   boolean keys (0 or 1).
 * pc_config_get_double: seconds keys (decimal, e.g. account.X.advanced.timer_t1) and integer
 *                       keys.
 * No allocation; may run concurrently with each other (not with a load or set).
 */
int pc_config_get_str(const struct pc_config *cfg, const char *key, const char **out);
int pc_config_get_int(const struct pc_config *cfg, const char *key, int64_t *out);
int pc_config_get_bool(const struct pc_config *cfg, const char *key, bool *out);
int pc_config_get_double(const struct pc_config *cfg, const char *key, double *out);

/*
 * pc_config_foreach - call @fn(item, @arg) for each key of @cfg (@flags PC_CONFIG_ALL or
 * PC_CONFIG_SET_ONLY), known keys in the order of the table (account 1 to 4, each with its
 * codecs and SIP servers, then the other keys), then unknown keys in the order they were first
 * set. Returns 0, or the first nonzero value @fn returned. No allocation.
 */
int pc_config_foreach(const struct pc_config *cfg, unsigned flags, pc_config_item_h fn, void *arg);

/*
 * pc_config_dump - write the effective configuration to @f (borrowed) as a configuration file
 * that loads back to the same values: the header line, then `key = value  # SOURCE` lines, where
 * SOURCE is "default", "command line" or FILE:LINE, and an unknown key is marked so. Values that
 * need it are written in double quotes (a value given to pc_config_set() that needs quotes and
 * holds a quote cannot be written back faithfully). @flags as for pc_config_foreach. Returns 0
 * or -EIO.
 */
int pc_config_dump(const struct pc_config *cfg, FILE *f, unsigned flags);

/* pc_config_warning_count - warnings reported since pc_config_create(). */
unsigned pc_config_warning_count(const struct pc_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* PC_CONFIG_H */
