/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow_text_fuzz.c: libFuzzer target for the rule text parser
 * (dp_flow_text.h), which reads files given to sluicectl. Each input is
 * one line; besides not crashing, a rule that parses must format and
 * parse back to the same rule, and a match must yield a frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_flow_text.h"
#include "dp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_rule a, b;
	char text[DP_FLOW_TEXT_MAX], err[256];
	uint8_t frame[DP_FRAME_BUILD_MAX];
	struct dp_key k, m;
	size_t len;
	char *line;

	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (dp_flow_text_parse(line, &a, err, sizeof(err)) == 1) {
		if (dp_flow_text_format(&a, NULL, text, sizeof(text)) < 0)
			abort();
		if (dp_flow_text_parse(text, &b, err, sizeof(err)) != 1 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	}
	if (dp_flow_text_parse_match(line, &k, &m, err, sizeof(err)) == 0) {
		if (dp_frame_build(&k, frame, sizeof(frame), &len) < 0 ||
		    len > sizeof(frame))
			abort();
		dp_flow_text_format_key(&k, text, sizeof(text));
	}
	free(line);
	return 0;
}
