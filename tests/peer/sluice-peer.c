/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer: the SRTP test participant and pcap generator. Independent of the dataplane:
 * libsrtp2 through its public API on kernel UDP sockets.
 */
#include <getopt.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "peer.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-peer COMMAND [OPTIONS]   (COMMAND --help for its options)\n"
	    "  run      one participant: send numbered SRTP media and SRTCP, report what arrived\n"
	    "  attack   traffic a relay must drop: --mode wrong-key | unknown-ssrc | truncated |\n"
	    "           garbage | rtcp-wrong-key | flood | frames (raw Ethernet)\n"
	    "  pcap     write a pcap of Ethernet/IP/UDP/SRTP frames from several legs\n"
	    "  keygen   --suite SUITE: print a fresh random inline key\n");
}

int
peer_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const struct peer_suite *suite = NULL;
	uint8_t key[PEER_KEY_MAX];
	char text[2 * PEER_KEY_MAX];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			goto usage;
		suite = peer_suite_parse("--suite", optarg);
		if (suite == NULL)
			goto usage;
	}
	if (suite == NULL || optind != argc)
		goto usage;
	peer_rand(key, suite->key_len);
	peer_base64_encode(key, suite->key_len, text, sizeof(text));
	printf("inline:%s\n", text);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(text, sizeof(text));
	return fflush(stdout) == 0 ? PEER_EXIT_OK : PEER_EXIT_ERROR;
usage:
	fprintf(stderr, "usage: sluice-peer keygen --suite SUITE\n");
	return PEER_EXIT_USAGE;
}

static int
dispatch(int argc, char **argv)
{
	if (strcmp(argv[1], "run") == 0)
		return peer_cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "attack") == 0)
		return peer_cmd_attack(argc - 1, argv + 1);
	if (strcmp(argv[1], "pcap") == 0)
		return peer_cmd_pcap(argc - 1, argv + 1);
	if (strcmp(argv[1], "keygen") == 0)
		return peer_cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return PEER_EXIT_OK;
	}
	fprintf(stderr, "sluice-peer: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return PEER_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return PEER_EXIT_USAGE;
	}
	rc = dispatch(argc, argv);
	/* Releases what srtp_init() registered; harmless when it never ran. */
	(void)srtp_shutdown();
	return rc;
}
