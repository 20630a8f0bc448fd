/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl: the operator's and orchestration scripts' CLI of a Sluice relay.
 * Global options, then command words that select an entry of a command table
 * (ctl_dp_cmds for the dataplane, ctl_api_cmds for sluice-cp's HTTPS API).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dp_proto.h"

#define DEFAULT_DP_SOCKET "/run/sluice/dp.sock"
#define DEFAULT_API_URL "https://127.0.0.1:8443"
#define DEFAULT_TIMEOUT_MS 5000

static const struct ctl_cmd *const cmd_tables[] = {
	ctl_dp_cmds,
	ctl_api_cmds,
	NULL,
};

#define DP_GLOBALS "[--socket PATH] [--json] [--timeout MS]"
#define API_GLOBALS "[--api URL] [--cacert FILE] [--token-file FILE] [--json] [--timeout MS]"

static void
print_exit_codes(FILE *f)
{
	fprintf(f,
		"Exit status:\n"
		"  0     success\n"
		"  1     usage or input error (bad argument, bad key, no token)\n"
		"  2     cannot connect, TLS failure, timeout, or protocol error\n"
		"  3     the API refused the request (HTTP 4xx; its error code and message are\n"
		"        shown)\n"
		"  4     the API is unavailable (HTTP 503 or another 5xx), or not ready\n"
		"  10+N  the dataplane refused the request with status N:\n");
	for (uint32_t s = DP_OK + 1; s < DP_STATUS_MAX; s++)
		fprintf(f, "%s%u %s%s", s % 5 == 1 ? "        " : "", 10 + s, dp_status_name(s),
			s + 1 == DP_STATUS_MAX || s % 5 == 0 ? "\n" : ", ");
	fprintf(f,
		"--json prints one JSON document on stdout; an error is\n"
		"  {\"error\":{\"code\":\"<the API's error code, the dataplane's status name, or\n"
		"  usage|input|connect|tls|timeout|protocol|http_NNN>\",\"message\":\"...\"}}\n"
		"  (for 3 and 4: the API's error document) and its text goes to stderr.\n");
}

static void
print_usage(FILE *f)
{
	fprintf(f,
		"Usage: sluicectl [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
		"\n"
		"Global options:\n"
		"  --socket PATH  the dataplane's control socket, for dp commands (default:\n"
		"                 $SLUICE_DP_SOCKET, else " DEFAULT_DP_SOCKET ")\n"
		"  --api URL      sluice-cp's HTTPS API, for the other commands; https:// only\n"
		"                 (default: $SLUICE_API, else " DEFAULT_API_URL ")\n"
		"  --cacert FILE  trust only the CA certificates in FILE (PEM) for the API\n"
		"                 (default: $SLUICE_CACERT, else the system's CAs)\n"
		"  --token-file FILE  the API token is the first line of FILE, which must not\n"
		"                 be readable by group or others (default: $SLUICE_TOKEN, else\n"
		"                 the file named by $SLUICE_TOKEN_FILE; see: sluicectl login)\n"
		"  --json         machine-readable output: one JSON document on stdout\n"
		"  --timeout MS   give up after MS milliseconds without an answer (default %d)\n"
		"  -h, --help     this help; COMMAND --help for a command's own\n"
		"\n"
		"The API is always spoken over TLS 1.2 or later, verifying its certificate.\n"
		"\n"
		"Commands:\n", DEFAULT_TIMEOUT_MS);
	for (size_t t = 0; cmd_tables[t] != NULL; t++)
		for (const struct ctl_cmd *c = cmd_tables[t]; c->words != NULL; c++)
			fprintf(f, "  %-16s %s\n", c->words, c->summary);
	fprintf(f,
		"\n"
		"Keys (--in-key, --out-key): inline:BASE64[|LIFETIME], @FILE (first line) or -\n"
		"  (a line of standard input), so that keys need not appear in the process list.\n"
		"\n");
	print_exit_codes(f);
}

/* True when c is a command of the dataplane's table (its global options differ). */
static bool
is_dp_cmd(const struct ctl_cmd *c)
{
	for (const struct ctl_cmd *d = ctl_dp_cmds; d->words != NULL; d++)
		if (d == c)
			return true;
	return false;
}

static void
print_cmd_help(const struct ctl_cmd *c)
{
	printf("Usage: sluicectl %s %s%s%s\n\n%c%s.\n",
	       is_dp_cmd(c) ? DP_GLOBALS : API_GLOBALS,
	       c->words, c->synopsis[0] != '\0' ? " " : "", c->synopsis,
	       toupper((unsigned char)c->summary[0]), c->summary + 1);
	if (c->help != NULL)
		printf("\n%s", c->help);
	printf("\n");
	print_exit_codes(stdout);
}

/* How many leading words of argv name command c (0: it does not). */
static int
cmd_match(const struct ctl_cmd *c, int argc, char **argv)
{
	const char *w = c->words;
	int n = 0;

	while (*w != '\0') {
		size_t len = strcspn(w, " ");

		if (n >= argc || strlen(argv[n]) != len || strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len;
		w += strspn(w, " ");
	}
	return n;
}

/* Lists the commands whose words start with argv[0..argc-1]; false when none does. */
static bool
print_group(int argc, char **argv, FILE *f)
{
	bool any = false;

	for (size_t t = 0; cmd_tables[t] != NULL; t++)
		for (const struct ctl_cmd *c = cmd_tables[t]; c->words != NULL; c++) {
			const char *w = c->words;
			int i;

			for (i = 0; i < argc; i++) {
				size_t len = strlen(argv[i]);

				if (strncmp(w, argv[i], len) != 0 || (w[len] != ' ' && w[len] != '\0'))
					break;
				w += len + strspn(w + len, " ");
			}
			if (i < argc)
				continue;
			if (!any)
				fprintf(f, "Commands:\n");
			any = true;
			fprintf(f, "  sluicectl %s%s%s\n", c->words, c->synopsis[0] != '\0' ? " " : "",
				c->synopsis);
		}
	return any;
}

/* True when --help or -h comes among argv[from..] before "--". */
static bool
wants_help(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* No command matched: a group ("dp", "dp leg") lists what it holds, else an error. */
static int
unknown_command(const struct ctl_ctx *ctx, int argc, char **argv)
{
	bool help = wants_help(argc, argv, 0);
	char cmd[128] = "";
	int words = 0;

	while (words < argc && argv[words][0] != '-') {
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", words > 0 ? " " : "",
			 argv[words]);
		words++;
	}
	if (words > 0 && print_group(words, argv, help ? stdout : stderr)) {
		if (help)
			return CTL_EXIT_OK;
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE, "incomplete command \"%s\"",
				cmd);
	}
	return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
			"unknown command \"%s\" (see: sluicectl --help)",
			words > 0 ? cmd : argv[0]);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "api", required_argument, NULL, 'a' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_ctx ctx = {
		.socket_path = DEFAULT_DP_SOCKET,
		.api_url = DEFAULT_API_URL,
		.timeout_ms = DEFAULT_TIMEOUT_MS,
	};
	const char *env = getenv("SLUICE_DP_SOCKET");
	const char *sock_opt = NULL;
	char *end;
	int o;

	if (env != NULL && env[0] != '\0')
		ctx.socket_path = env;
	env = getenv("SLUICE_API");
	if (env != NULL && env[0] != '\0')
		ctx.api_url = env;
	env = getenv("SLUICE_CACERT");
	if (env != NULL && env[0] != '\0')
		ctx.cacert = env;
	opterr = 0;
	/* "+": global options end at the first command word */
	while ((o = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			sock_opt = optarg;
			break;
		case 'a':
			ctx.api_url = optarg;
			break;
		case 'c':
			ctx.cacert = optarg;
			break;
		case 'f':
			ctx.token_file = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 't': {
			long v = strtol(optarg, &end, 10);

			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || v < 1 ||
			    v > 3600000)
				return ctl_fail(&ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
						"--timeout takes milliseconds from 1 to 3600000, "
						"not \"%s\"", optarg);
			ctx.timeout_ms = (int)v;
			break;
		}
		case 'h':
			print_usage(stdout);
			return CTL_EXIT_OK;
		case ':':
			return ctl_fail(&ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE, "%s needs a value",
					argv[optind - 1]);
		default:
			return ctl_fail(&ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
					"unknown option %s (see: sluicectl --help)",
					argv[optind - 1]);
		}
	}
	if (sock_opt != NULL)
		ctx.socket_path = sock_opt;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		print_usage(stderr);
		/* --json promises an error document for every failure */
		return ctl_fail(&ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE, "no command given");
	}
	for (size_t t = 0; cmd_tables[t] != NULL; t++)
		for (const struct ctl_cmd *c = cmd_tables[t]; c->words != NULL; c++) {
			int n = cmd_match(c, argc, argv);

			if (n == 0)
				continue;
			ctx.cmd = c;
			if (wants_help(argc, argv, n)) {
				print_cmd_help(c);
				return CTL_EXIT_OK;
			}
			/* the command sees its last word as argv[0] */
			return c->run(&ctx, argc - n + 1, argv + n - 1);
		}
	return unknown_command(&ctx, argc, argv);
}
