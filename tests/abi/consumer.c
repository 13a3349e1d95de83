// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An out-of-tree program built against a staged install with nothing but
 * pkg-config: loads a manifest, prints the count, then a diagnostic.
 */
#include <stdio.h>
#include <string.h>

#include <netpol.h>

static const char good[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web, namespace: prod}\n"
	"spec:\n  podSelector: {}\n  ingress:\n  - ports: [{port: 80}]\n";

static const char bad[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web, namespace: prod}\n"
	"spec:\n  ingress:\n  - ports:\n    - port: 80\n      endPort: 70\n";

int main(void)
{
	NP_OPTS(np_load_opts, opts, .format = NP_FORMAT_AUTO);
	struct np_cluster *c;
	struct np_diag d;
	char buf[1024];
	int err;

	err = np_cluster_new(&c, NULL);
	if (err) {
		fprintf(stderr, "np_cluster_new: %s\n", np_strerror(err));
		return 1;
	}
	err = np_cluster_load_buffer(c, good, strlen(good), "good.yaml", &opts,
				     &d);
	if (err) {
		np_diag_format(&d, buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
		return 1;
	}
	printf("libnetpol %s\n", np_version());
	printf("%s: %zu\n", np_kind_name(NP_KIND_NAMESPACE),
	       np_cluster_count(c, NP_KIND_NAMESPACE));
	printf("%s: %zu\n", np_kind_name(NP_KIND_NETWORK_POLICY),
	       np_cluster_count(c, NP_KIND_NETWORK_POLICY));
	err = np_cluster_load_buffer(c, bad, strlen(bad), "bad.yaml", &opts,
				     &d);
	np_diag_format(&d, buf, sizeof(buf));
	printf("%d (%s) %s\n", err, np_strerror(err), buf);
	np_cluster_free(c);
	return 0;
}
