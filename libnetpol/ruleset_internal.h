/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rule-set stage's internals (ruleset.c, ruleset_core.c,
 * ruleset_cache.c, closure.c): port sets, provenance, the immutable shared
 * cores of LPM keys and the per-pod rule sets over them, as the map-set
 * encoder and the queries read them.
 */
#ifndef NP_RULESET_INTERNAL_H
#define NP_RULESET_INTERNAL_H

#include "netpol/ruleset.h"
#include "hashmap.h"
#include "resolve.h"

/*
 * A port range of one protocol; a merged set is sorted and disjoint. A
 * range may span protocols (the folded tiers' complements, tier.c): xproto
 * more protocols, from proto/lo to (proto + xproto)/hi on the axis
 * proto << 16 | port that the datapath's slots use. Zero everywhere else.
 */
struct np_prange {
	uint8_t proto;
	uint8_t xproto;
	uint16_t lo, hi;
};

struct np_pset {
	bool all; /* every protocol and port */
	struct np_prange *r;
	size_t n;
};

/*
 * Which step of the tiers decided (tier.c): enum np_tier, and internally
 * the node's own address (reported as NP_TIER_DEFAULT).
 */
#define NP_TIER_NODE ((enum np_tier)5)

/*
 * Where an entry came from: "ns/name ingress[2]", the node, or a cluster
 * policy's rule (tier ADMIN, BASELINE: pol_name, rule), or the default.
 */
struct np_prov {
	const char *pol_ns; /* NULL: the node's own address */
	const char *pol_name;
	int rule;
	enum np_tier tier;
};

/* A rule entry while a core is built (scratch memory). */
struct np_rs_entry {
	struct np_cidr cidr;
	const struct np_cidr *except;
	size_t nexcept;
	struct np_pset ports;
	const struct np_pset *iports; /* ports, interned in the core */
	uint32_t prov; /* index into np_rs_core.prov */
};

/* A rule behind a key: its policy and its own ports. */
struct np_rs_contrib {
	uint32_t prov;
	const struct np_pset *ports;
};

/*
 * One LPM key: the longest-prefix match for an address decides. Port sets
 * and contributor lists are interned per core: thousands of host keys
 * from one peer share one of each.
 */
struct np_rs_key {
	struct np_cidr cidr;
	uint32_t ncontrib;
	const struct np_pset *ports; /* empty and !all: a hole, deny */
	const struct np_rs_contrib *contrib;
};

/*
 * The rules of a set of PolicyEndpoints: shared, immutable once built, and
 * refcounted, so pods selected by the same endpoints share one core.
 */
struct np_rs_core {
	struct np_arena arena;
	unsigned long refs; /* atomic */
	bool isolated[2];
	struct np_rs_key *keys[2]; /* sorted: family, address, length */
	size_t nkeys[2];
	/*
	 * Tiers only (tier.c), for verdicts, never in the maps nor the hash:
	 * every prefix the fold decided at (keys[] leaves out those equal to
	 * their parent), its contributors every rule that allowed or denied
	 * ports there, sorted by provenance (ports NULL).
	 */
	struct np_rs_key *vkeys[2];
	size_t nvkeys[2];
	struct np_prov *prov;
	size_t nprov;
	uint64_t hash;
	/*
	 * keys[d] and vkeys[d] (and what they point to) borrowed from
	 * shared[d], a core holding one direction's keys for many (tier.c:
	 * the folds of pods whose cluster policies and NetworkPolicy keys
	 * agree; contributors index prov, laid out alike in each borrower);
	 * a reference, or NULL: keys[d] is in this core's arena.
	 */
	struct np_rs_core *shared[2];
};

/* One pod's rule set: its identity and a core. */
struct np_ruleset {
	struct np_arena arena;
	const char *ns, *name;
	struct np_ip ips[NP_MAX_IPS];
	size_t nips;
	struct np_ip node_ip; /* family 0: none */
	struct np_rs_core *core;
};

/* Normalize the entries of these PolicyEndpoints into a new core. */
int np__core_build(struct np_rs_core **out, const struct np_obj **pes,
		   size_t npes, const char *ns, const char *name,
		   struct np_diag *diag);
void np__core_put(struct np_rs_core *co);
/* Another reference to co (NULL: NULL). */
struct np_rs_core *np__core_ref(struct np_rs_core *co);
/* co->hash from its keys. */
void np__core_hash(struct np_rs_core *co);
/*
 * Provenance p of co as text, "ns/name ingress[0]" (esc: the names
 * escaped); the distinct policies behind key k, those whose ports there
 * hold proto/port (port -1: all), "ns/a ingress[0], ns/b ingress[1]".
 */
void np__prov_format(const struct np_rs_core *co, uint32_t p, int dir, bool esc,
		     struct np_strbuf *sb);
void np__key_policies(const struct np_rs_core *co, int dir,
		      const struct np_rs_key *k, uint8_t proto, int port,
		      bool esc, struct np_strbuf *sb);
/* -E2BIG (diag, when not NULL) when a key of dir has too many slots. */
int np__check_slots(const struct np_rs_core *co, int dir, const char *ns,
		    const char *name, struct np_diag *diag);

/* Port sets. */
int np__pset_add(struct np_arena *a, struct np_pset *s, uint8_t proto,
		 uint16_t lo, uint16_t hi);
void np__pset_merge(struct np_pset *s);
bool np__pset_eq(const struct np_pset *a, const struct np_pset *b);
int np__pset_find(const struct np_pset *s, uint8_t proto, uint16_t port);

/* The one text of a port set, in the style of the output it goes to. */
enum np_pset_style {
	/* rule sets (compile, explain): "all", "none (except)",
	 * "TCP any, UDP 53-54" */
	NP_PSET_TEXT_RULES,
	/* the datapath's drift lines: "all", "none", "TCP 80, UDP 53-54"
	 * (an unnamed protocol as its number) */
	NP_PSET_TEXT_LIST,
	/* np_mapset_export's text: " proto=ANY", " deny", " TCP/80-80" */
	NP_PSET_TEXT_MAP,
};
void np__pset_text(struct np_strbuf *sb, const struct np_pset *s,
		   enum np_pset_style style);

int np__ruleset_build(struct np_ruleset **out, struct np_ctx *ctx,
		      const struct np_obj *pod, const struct np_obj **pes,
		      size_t npes, const struct np_pe_pod *ident,
		      struct np_diag *diag);

/* Interned blobs while a core is built: equal content, one copy in *a. */
struct np_intern {
	struct np_arena *a; /* the core's */
	struct np_arena recs; /* scratch: what the table points to */
	struct np_hashmap map; /* by np__hash_fast of the content */
};

/* A merged port set, interned (ranges first, then the set itself). */
const struct np_pset *np__intern_pset(struct np_intern *in,
				      const struct np_pset *s);
void np__intern_release(struct np_intern *in);
/*
 * Sort entries given in runs (run[i]: where run i starts), merging sorted
 * runs; scratch memory from a.
 */
int np__sort_runs(struct np_arena *a, struct np_rs_entry *ent,
		  const size_t *run, size_t nrun, size_t n);
/* The keys of direction dir of core rs from entries ent, sorted by cidr. */
int np__closure(struct np_rs_core *rs, const struct np_rs_entry *ent, size_t n,
		int dir, struct np_intern *in);

/* np_ruleset_compile without the cluster-policy tiers (tier.c's input). */
int np__ruleset_compile_np(struct np_ruleset **out, struct np_cluster *c,
			   const char *ns, const char *name,
			   const struct np_compile_opts *opts,
			   struct np_diag *diag);

/* How many pods np_cluster_changes() compiled to make ch (changes.c). */
size_t np__changes_compiled(const struct np_changes *ch);
/* How many ClusterPolicyEndpoints it built to make ch (0: none looked at). */
size_t np__changes_cpes_built(const struct np_changes *ch);

/* Whether a protocol is one a verdict can be asked about. */
bool np__proto_ok(int proto);
/* The verdict of rs on a connection with address ip, in direction dir. */
int np__ruleset_verdict_ip(const struct np_ruleset *rs, enum np_direction dir,
			   const struct np_ip *ip, uint8_t proto, uint16_t port,
			   struct np_verdict *v);

/*
 * The provenances behind the verdict of rs on ip in dir (query.c's
 * attribution): at the longest prefix holding ip (the tiers' decision
 * prefixes when the rule set has tiers), every distinct rule whose ports
 * there hold proto/port, in provenance order, at most max into out.
 * Returns how many there are (more than max: only max stored).
 */
size_t np__ruleset_verdict_provs(const struct np_ruleset *rs,
				 enum np_direction dir, const struct np_ip *ip,
				 uint8_t proto, uint16_t port,
				 const struct np_prov **out, size_t max);

/* An endpoint of a connection: a pod of the snapshot or an address. */
struct np_endpoint {
	const struct np_obj *pod;
	struct np_ip ip[NP_MAX_IPS];
	size_t nips;
	char ns[254], name[254];
};

/*
 * "ns/pod" (-ENOENT, diag: not in the snapshot) or an IP address (-EINVAL,
 * diag: neither); an address of an eligible pod is that pod (query.c).
 */
int np__endpoint_parse(struct np_cluster *c, const char *s,
		       struct np_endpoint *e, struct np_diag *diag);

/*
 * Both ends of a connection, as np__endpoint_parse(); -EINVAL (diag)
 * when neither is a pod of the snapshot.
 */
int np__endpoints_parse(struct np_cluster *c, const char *from, const char *to,
			struct np_endpoint *a, struct np_endpoint *b,
			struct np_diag *diag);

#endif /* NP_RULESET_INTERNAL_H */
