// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rule sets kept in the iptables tools' own text form.  The wanted set is
 * written exactly as save prints it, so reading a namespace back (save),
 * comparing and printing a difference are plain line work, and the same
 * code serves the nft and the legacy backends, which print alike.
 */
#include "fw.h"
#include "slotnet.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* ---- sets of lines ---- */

static bool lines_has(const struct fw_lines *l, const char *line)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], line))
			return true;
	return false;
}

static unsigned lines_count(const struct fw_lines *l, const char *line)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n; i++)
		n += !strcmp(l->v[i], line);
	return n;
}

/* Lines that do not fit are dropped: a diff then still shows something is off. */
static void lines_add(struct fw_lines *l, const char *line)
{
	if (l->n < FW_LINES_MAX)
		snprintf(l->v[l->n++], FW_LINE_MAX, "%s", line);
}

static struct fw_table *table_get(struct fw_set *set, const char *name)
{
	for (unsigned i = 0; i < set->n; i++)
		if (!strcmp(set->t[i].name, name))
			return &set->t[i];
	if (set->n == FW_TABLES_MAX)
		return NULL;
	memset(&set->t[set->n], 0, sizeof(set->t[0]));
	snprintf(set->t[set->n].name, sizeof(set->t[0].name), "%s", name);
	return &set->t[set->n++];
}

static const struct fw_table *table_find(const struct fw_set *set, const char *name)
{
	for (unsigned i = 0; i < set->n; i++)
		if (!strcmp(set->t[i].name, name))
			return &set->t[i];
	return NULL;
}

/* "-A FORWARD -j SLOTNET-FORWARD": a built-in chain's jump into one of ours. */
static bool is_hook(const char *line)
{
	const char *j = strstr(line, " -j " FW_CHAIN_PREFIX);

	return !strncmp(line, "-A ", 3) && strncmp(line + 3, FW_CHAIN_PREFIX, 8) && j &&
	       !strchr(j + 4, ' ') && strchr(line + 3, ' ') == j;
}

/* Sorts one save-form line into its table's part; false when it is not slotnet's. */
static bool table_take(struct fw_table *t, const char *line)
{
	if (!strncmp(line, ":" FW_CHAIN_PREFIX, 9))
		lines_add(&t->chains, line);
	else if (!strncmp(line, "-A " FW_CHAIN_PREFIX, 11))
		lines_add(&t->rules, line);
	else if (is_hook(line))
		lines_add(&t->hooks, line);
	else
		return false;
	return true;
}

void fw_add(struct fw_set *set, const char *table, const char *fmt, ...)
{
	struct fw_table *t = table_get(set, table);
	char line[FW_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t)
		table_take(t, line);
}

/* Reads save output into SET, keeping only slotnet's lines. */
static void parse_save(char *text, struct fw_set *set)
{
	struct fw_table *t = NULL;
	char *pos;

	for (char *line = strtok_r(text, "\n", &pos); line; line = strtok_r(NULL, "\n", &pos)) {
		if (line[0] == '*')
			t = table_get(set, line + 1);
		else if (t)
			table_take(t, line);
	}
}

/* The chain a line is about: ":NAME ..." or "-A NAME ..." (or the target of a hook). */
static void chain_of(const char *line, char name[FW_LINE_MAX])
{
	const char *s = line[0] == ':' ? line + 1 : line + 3;

	snprintf(name, FW_LINE_MAX, "%.*s", (int)strcspn(s, " "), s);
}

/* Whether chain NAME holds the same rules, in the same order, in both tables. */
static bool chain_rules_equal(const struct fw_table *a, const struct fw_table *b, const char *name)
{
	unsigned i = 0, j = 0;
	char c[FW_LINE_MAX];

	for (;;) {
		while (i < a->rules.n && (chain_of(a->rules.v[i], c), strcmp(c, name)))
			i++;
		while (j < b->rules.n && (chain_of(b->rules.v[j], c), strcmp(c, name)))
			j++;
		if (i == a->rules.n || j == b->rules.n)
			return i == a->rules.n && j == b->rules.n;
		if (strcmp(a->rules.v[i++], b->rules.v[j++]))
			return false;
	}
}

/* Whether every rule of chain NAME in A is somewhere in B's chain too. */
static bool chain_rules_within(const struct fw_table *a, const struct fw_table *b, const char *name)
{
	char c[FW_LINE_MAX];

	for (unsigned i = 0; i < a->rules.n; i++) {
		chain_of(a->rules.v[i], c);
		if (!strcmp(c, name) && !lines_has(&b->rules, a->rules.v[i]))
			return false;
	}
	return true;
}

static bool has_chain(const struct fw_table *t, const char *name)
{
	char c[FW_LINE_MAX];

	for (unsigned i = 0; t && i < t->chains.n; i++)
		if (chain_of(t->chains.v[i], c), !strcmp(c, name))
			return true;
	return false;
}

/* ---- comparing, and the restore input that removes the difference ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = n < 0 ? b->len : b->len + (size_t)n >= b->cap ? b->cap - 1 : b->len + (size_t)n;
}

static void table_compare(const struct fw_table *want, const struct fw_table *have,
			  struct fw_diff *d)
{
	static const struct fw_table none;
	char c[FW_LINE_MAX];

	want = want ? want : &none;
	have = have ? have : &none;
	for (unsigned i = 0; i < want->chains.n; i++)
		if (!lines_has(&have->chains, want->chains.v[i]))
			lines_add(&d->missing, want->chains.v[i]);
	for (unsigned i = 0; i < have->chains.n; i++)
		if (!lines_has(&want->chains, have->chains.v[i]))
			lines_add(&d->unexpected, have->chains.v[i]);
	for (unsigned i = 0; i < want->rules.n; i++)
		if (!lines_has(&have->rules, want->rules.v[i]))
			lines_add(&d->missing, want->rules.v[i]);
	for (unsigned i = 0; i < have->rules.n; i++)
		if (!lines_has(&want->rules, have->rules.v[i]))
			lines_add(&d->unexpected, have->rules.v[i]);
	for (unsigned i = 0; i < want->chains.n; i++) {
		chain_of(want->chains.v[i], c);
		/* Missing and unexpected rules are listed already: only order and repeats are news. */
		if (has_chain(have, c) && !chain_rules_equal(want, have, c) &&
		    chain_rules_within(want, have, c) && chain_rules_within(have, want, c)) {
			char note[FW_LINE_MAX];

			snprintf(note, sizeof(note), "# rules of %.120s out of order or repeated", c);
			lines_add(&d->unexpected, note);
		}
	}
	for (unsigned i = 0; i < want->hooks.n; i++) {
		unsigned n = lines_count(&have->hooks, want->hooks.v[i]);

		if (!n)
			lines_add(&d->missing, want->hooks.v[i]);
		for (; n > 1; n--)
			lines_add(&d->unexpected, want->hooks.v[i]);
	}
	for (unsigned i = 0; i < have->hooks.n; i++)
		if (!lines_has(&want->hooks, have->hooks.v[i]))
			lines_add(&d->unexpected, have->hooks.v[i]);
}

/* Declares (creating, or flushing with --noflush) chain NAME and writes its rules. */
static void write_chain(struct buf *b, const struct fw_table *want, const char *decl)
{
	char name[FW_LINE_MAX], c[FW_LINE_MAX];

	chain_of(decl, name);
	bprintf(b, "%s\n", decl);
	for (unsigned i = 0; i < want->rules.n; i++)
		if (chain_of(want->rules.v[i], c), !strcmp(c, name))
			bprintf(b, "%s\n", want->rules.v[i]);
}

/* "-A FORWARD -j X" becomes "-I FORWARD 1 -j X", or "-D FORWARD -j X". */
static void write_hook(struct buf *b, const char *hook, char op)
{
	char builtin[FW_LINE_MAX];

	chain_of(hook, builtin);
	if (op == 'I')
		bprintf(b, "-I %s 1 -j %s\n", builtin, strstr(hook, " -j ") + 4);
	else
		bprintf(b, "-D%s\n", hook + 2);
}

/*
 * The restore input bringing HAVE to WANT for one table: chains whose rules
 * differ are declared again (which flushes them) and refilled, missing hooks
 * go first in their built-in chain, extra and stale hooks are deleted, and
 * chains no longer wanted are flushed and deleted.  Empty when equal.
 */
static void table_fix(struct buf *b, const struct fw_table *want, const struct fw_table *have)
{
	static const struct fw_table none;
	size_t start = b->len;
	char c[FW_LINE_MAX];

	want = want ? want : &none;
	have = have ? have : &none;
	bprintf(b, "*%s\n", want != &none ? want->name : have->name);
	size_t body = b->len;

	for (unsigned i = 0; i < want->chains.n; i++) {
		chain_of(want->chains.v[i], c);
		if (!lines_has(&have->chains, want->chains.v[i]) || !chain_rules_equal(want, have, c))
			write_chain(b, want, want->chains.v[i]);
	}
	for (unsigned i = 0; i < want->hooks.n; i++) {
		unsigned n = lines_count(&have->hooks, want->hooks.v[i]);

		if (!n)
			write_hook(b, want->hooks.v[i], 'I');
		for (; n > 1; n--)
			write_hook(b, want->hooks.v[i], 'D');
	}
	for (unsigned i = 0; i < have->hooks.n; i++)
		if (!lines_has(&want->hooks, have->hooks.v[i]))
			write_hook(b, have->hooks.v[i], 'D');
	for (unsigned i = 0; i < have->chains.n; i++) {
		chain_of(have->chains.v[i], c);
		if (!has_chain(want, c))
			bprintf(b, "-F %s\n-X %s\n", c, c);
	}
	if (b->len == body)
		b->len = start;
	else
		bprintf(b, "COMMIT\n");
	b->p[b->len] = '\0';
}

void fw_render(const struct fw_set *set, enum fw_family family, char *out, size_t len)
{
	struct buf b = { out, 0, len };

	out[0] = '\0';
	for (unsigned i = 0; i < set->n; i++) {
		bprintf(&b, "# %s table %s\n", family == FW_IPV4 ? "iptables" : "ebtables",
			set->t[i].name);
		table_fix(&b, &set->t[i], NULL);
	}
}

/* ---- running the tools inside a namespace ---- */

/* Save output of a root namespace full of other software's rules can be megabytes. */
static int grow(struct buf *b)
{
	char *p = realloc(b->p, b->cap * 2);

	if (!p)
		return -1;
	b->p = p;
	b->cap *= 2;
	return 0;
}

/* Drains OUT and ERR of a child into o (stdout, grown as needed) and e (its last words). */
static void collect(int out, int err, struct buf *o, struct buf *e)
{
	struct pollfd p[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	int open = 2;

	while (open > 0 && poll(p, 2, -1) > 0) {
		for (int i = 0; i < 2; i++) {
			struct buf *b = i ? e : o;
			ssize_t n;

			if (!p[i].revents)
				continue;
			if (b->len + 1 >= b->cap && b == o && grow(o) < 0)
				b = NULL;
			if (!b || b->len + 1 >= b->cap) { /* full: keep reading, discard */
				char sink[4096];

				n = read(p[i].fd, sink, sizeof(sink));
			} else {
				n = read(p[i].fd, b->p + b->len, b->cap - b->len - 1);
				if (n > 0)
					b->len += (size_t)n;
			}
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				p[i].fd = -1;
				open--;
			}
		}
	}
	o->p[o->len] = '\0';
	e->p[e->len] = '\0';
}

static void child_exec(int nsfd, const char *path, char *const argv[], int in, int out[2],
		       int err[2])
{
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		_exit(126);
	if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
		_exit(126);
	/* slotnet ignores SIGPIPE; the tools expect the default. */
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	_exit(127);
}

/* A memfd holding IN (NULL: nothing), at offset 0; or -1 with errno. */
static int input_memfd(const char *in)
{
	size_t len = in ? strlen(in) : 0, done = 0;
	int fd = memfd_create("slotnet-tool-input", MFD_CLOEXEC), saved;

	while (fd >= 0 && done < len) {
		ssize_t n = pwrite(fd, in + done, len - done, (off_t)done);

		if (n < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}

/*
 * Runs PATH with ARGV inside namespace NSFD, IN on its stdin; stdout in O.
 * Returns the exit status, or -1 with errno; the tool's stderr goes to E.
 * IN is a file, not a pipe, so a tool that exits before reading all of it
 * (a restore refusing an early line) can neither kill slotnet with SIGPIPE,
 * whatever the process does with that signal, nor leave it blocked on a
 * full pipe: its exit status and stderr then tell what went wrong.
 */
static int run_tool(int nsfd, const char *path, char *const argv[], const char *in,
		    struct buf *o, struct buf *e)
{
	int pin = -1, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, status, saved;
	pid_t pid = -1;

	if ((pin = input_memfd(in)) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child_exec(nsfd, path, argv, pin, pout, perr);
	close(pin);
	close(pout[1]);
	close(perr[1]);
	pin = pout[1] = perr[1] = -1;
	collect(pout[0], perr[0], o, e);
	close(pout[0]);
	close(perr[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
fail:
	saved = errno;
	if (pin >= 0)
		close(pin);
	for (int i = 0; i < 2; i++) {
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	errno = saved;
	return -1;
}

static const char *tool_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The tool's complaint, on one line, for a message. */
static void tool_failed(char *err, size_t errlen, const char *path, int status, struct buf *e)
{
	for (char *c = e->p; *c; c++)
		if (*c == '\n')
			*c = *(c + 1) ? ' ' : '\0';
	if (status < 0)
		snprintf(err, errlen, "running %s: %s", path, strerror(errno));
	else if (status == 126)
		snprintf(err, errlen, "%s: could not enter the namespace", tool_name(path));
	else
		snprintf(err, errlen, "%s exited with %d%s%s", tool_name(path), status,
			 e->p[0] ? ": " : "", e->p);
}

int fw_sync(const struct fw_tools *tools, enum fw_family family, int nsfd,
	    const struct fw_set *want, enum fw_mode mode, bool known_empty,
	    struct fw_diff *diff, char *err, size_t errlen)
{
	static __thread char errbuf[4096], fix[16384];
	static const struct fw_set nothing;
	struct buf o = { malloc(65536), 0, 65536 }, e = { errbuf, 0, sizeof(errbuf) };
	struct buf f = { fix, 0, sizeof(fix) };
	struct fw_set *have = calloc(1, sizeof(*have));
	char *save_argv[] = { (char *)tool_name(tools->save[family]), NULL };
	char *restore_argv[] = { (char *)tool_name(tools->restore[family]), "--noflush", NULL };
	int status, ret = -1;

	if (!have || !o.p) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto out;
	}
	if (mode == FW_REMOVE)
		want = &nothing;
	if (!known_empty) {
		status = run_tool(nsfd, tools->save[family], save_argv, NULL, &o, &e);
		if (status) {
			tool_failed(err, errlen, tools->save[family], status, &e);
			goto out;
		}
		parse_save(o.p, have);
	}
	memset(diff, 0, sizeof(*diff));
	for (unsigned i = 0; i < want->n; i++)
		table_compare(&want->t[i], table_find(have, want->t[i].name), diff);
	for (unsigned i = 0; i < have->n; i++)
		if (!table_find(want, have->t[i].name))
			table_compare(NULL, &have->t[i], diff);
	ret = 0;
	if (mode == FW_CHECK || (!diff->missing.n && !diff->unexpected.n))
		goto out;
	fix[0] = '\0';
	for (unsigned i = 0; i < want->n; i++)
		table_fix(&f, &want->t[i], table_find(have, want->t[i].name));
	for (unsigned i = 0; i < have->n; i++)
		if (!table_find(want, have->t[i].name))
			table_fix(&f, NULL, &have->t[i]);
	o.len = e.len = 0;
	status = run_tool(nsfd, tools->restore[family], restore_argv, fix, &o, &e);
	if (status) {
		tool_failed(err, errlen, tools->restore[family], status, &e);
		ret = -1;
	}
out:
	free(have);
	free(o.p);
	return ret;
}

/* ---- finding the tools ---- */

static bool find_in_path(const char *name, char out[64])
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	const char *path = getenv("PATH");
	char candidate[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(candidate, sizeof(candidate), "%s/%s", dirs[i], name);
		if (access(candidate, X_OK) == 0 && strlen(candidate) < 64) {
			strcpy(out, candidate);
			return true;
		}
	}
	for (const char *d = path; d && *d; d += strcspn(d, ":") + (d[strcspn(d, ":")] == ':')) {
		int n = (int)strcspn(d, ":");

		snprintf(candidate, sizeof(candidate), "%.*s/%s", n, d, name);
		if (n && access(candidate, X_OK) == 0 && strlen(candidate) < 64) {
			strcpy(out, candidate);
			return true;
		}
	}
	return false;
}

static bool find_pair(const char *tool, const char *backend, char save[64], char restore[64])
{
	char name[48];

	snprintf(name, sizeof(name), "%s-%s-save", tool, backend);
	if (!find_in_path(name, save))
		return false;
	snprintf(name, sizeof(name), "%s-%s-restore", tool, backend);
	return find_in_path(name, restore);
}

int fw_tools_find(int backend, struct fw_tools *t)
{
	bool nft = false, legacy = false;

	memset(t, 0, sizeof(*t));
	if (backend != SLOTNET_FW_LEGACY)
		nft = find_pair("iptables", "nft", t->save[FW_IPV4], t->restore[FW_IPV4]);
	if (!nft && backend != SLOTNET_FW_NFT)
		legacy = find_pair("iptables", "legacy", t->save[FW_IPV4], t->restore[FW_IPV4]);
	if (!nft && !legacy) {
		if (backend == SLOTNET_FW_AUTO)
			return sn_err(EXIT_FAILED, "neither iptables-nft-restore nor "
				      "iptables-legacy-restore (with its -save) is installed; "
				      "on Debian: apt-get install iptables");
		return sn_err(EXIT_FAILED, "--backend %s: iptables-%s-restore or iptables-%s-save "
			      "is not installed; on Debian: apt-get install iptables",
			      backend == SLOTNET_FW_NFT ? "nft" : "legacy",
			      backend == SLOTNET_FW_NFT ? "nft" : "legacy",
			      backend == SLOTNET_FW_NFT ? "nft" : "legacy");
	}
	t->backend[FW_IPV4] = nft ? "nft" : "legacy";
	/*
	 * Bridge rules go through nf_tables whenever ebtables-nft is there, even
	 * beside legacy iptables: recent kernels build legacy ebtables less and less.
	 */
	if (find_pair("ebtables", "nft", t->save[FW_BRIDGE], t->restore[FW_BRIDGE]))
		t->backend[FW_BRIDGE] = "nft";
	else if (find_pair("ebtables", "legacy", t->save[FW_BRIDGE], t->restore[FW_BRIDGE]))
		t->backend[FW_BRIDGE] = "legacy";
	else
		return sn_err(EXIT_FAILED, "neither ebtables-nft-restore nor ebtables-legacy-restore "
			      "(with its -save) is installed; on Debian: apt-get install iptables");
	return 0;
}
