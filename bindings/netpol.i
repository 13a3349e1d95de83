/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one SWIG interface of libnetpol, shared by Python and Go
 * (CONVENTIONS §26). It wraps the public headers as they are, with a few
 * typemaps:
 *
 *   char **out, char **text    the string the library allocated, returned
 *                              and freed with np_free()
 *   struct np_x **out          the new object, owned by the caller
 *   Python: int < 0            raises netpol.Error (an OSError) or a
 *                              subclass, with the call's struct np_diag,
 *                              which is hidden
 *   Go:     int                returned as is, with struct np_diag passed
 *                              by the caller; netpol.go turns it into an
 *                              error (Go has no exceptions to raise)
 *
 * Python also gets its callbacks bridged (with the GIL held, from any
 * thread): np_log_fn to the logging module (netpol._log), np_diag_fn into
 * a list (skip_invalid's diagnostics); its errors are raised through
 * netpol._error._make, which picks the subclass (NotFoundError,
 * InvalidInputError); the cluster's long calls release the GIL (the
 * Python layer locks each Cluster).
 *
 * Both get a few helpers (np_swig_*) where a C signature has no natural
 * mapping: raw LPM and port-set bytes come back as hex text, so the same
 * string typemap serves both languages; the datapath's options structs
 * (open, attach) become plain arguments (node addresses comma-separated),
 * and its callbacks (flow events, pods) collect into JSON text. Everything
 * else (string kinds, dicts, slices, errors) lives in the hand-written
 * layers:
 * bindings/python/netpol/__init__.py and bindings/go/netpol.go.
 */
#ifdef SWIGPYTHON
%module(package="netpol") capi
#else
%module capi
#endif

%{
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netpol.h>
%}

#define NP_API
%include <stdint.i>

/* Callbacks and allocation are not part of the bound surface. */
%ignore np_free;
%ignore np_cluster_free;
%ignore np_ruleset_free;
%ignore np_mapset_free;
%ignore np_mapset_lpm;
%ignore np_mapset_lpm_opts;
%ignore np_mapset_lpm_data;
%ignore np_mapset_portsets;
%ignore np_cluster_opts;
%ignore NP_CLUSTER_CACHE_BYTES_DEFAULT;
/*
 * Change sets: np_swig_cluster_changes() takes the options as plain
 * arguments, np_swig_changes_json() gives every change as JSON; the rest
 * (ruleset, mapset, diff, endpoint_export, counts) is bound as it is.
 */
%ignore np_changes_opts;
%ignore np_cluster_changes;
%ignore np_changes_get;
%ignore np_changes_endpoint;
%ignore np_change;
%ignore np_endpoint_change;
%ignore np_changes_free;
%ignore np_log_fn;
%ignore np_diag_fn;
%ignore np_load_opts::on_diag;
%ignore np_load_opts::diag_ctx;
%ignore np_load_opts::sz;
%ignore np_compile_opts::sz;
%ignore np_matrix_opts;
%ignore np_cluster_matrix;
%ignore NP_OPTS;
%ignore NP_DIRECTION_DEFINED;
/*
 * Attribution (netpol/attrib.h): the object and its accessors become one
 * JSON document (np_swig_cluster_attribute() below), which the languages
 * parse; the reasons' enum and name function are bound as they are.
 */
%ignore np_attrib;
%ignore np_attrib_item;
%ignore np_attrib_opts;
%ignore np_cluster_attribute;
%ignore np_attrib_free;
%ignore np_attrib_allowed;
%ignore np_attrib_verdict;
%ignore np_attrib_pod;
%ignore np_attrib_ip;
%ignore np_attrib_count;
%ignore np_attrib_get;
%ignore np_attrib_format;
%ignore np_cluster_isolating;
/* Python and Go escape with their own (json.dumps, repr, strconv.Quote). */
%ignore np_escape;

/*
 * The datapath (netpol/datapath.h): its options struct and callbacks have
 * np_swig_datapath_* helpers below; of the inspection calls, stats,
 * hooks, explain and verify have helpers, the others are not bound.
 */
%ignore np_datapath_opts;
%ignore np_datapath_open;
%ignore np_datapath_close;
%ignore np_datapath_attach;
%ignore np_attach_opts;
/* np_swig_datapath_begin() below: nowait as a plain argument. */
%ignore np_txn_opts;
%ignore np_datapath_begin;
%ignore np_datapath_set_node_ips;
%ignore np_datapath_poll_events;
%ignore np_datapath_events_fd;
%ignore np_datapath_test_packet;
%ignore np_datapath_pod_foreach;
%ignore np_datapath_pod;
%ignore np_event;
%ignore np_event_fn;
%ignore np_pod_fn;
/* The function only: struct np_datapath_counters is bound. */
%ignore np_datapath_counters(struct np_datapath *, unsigned int,
			     enum np_direction, struct np_datapath_counters *);
%ignore np_event_format;
%ignore np_datapath_stats;
/* Python: np_swig_datapath_latency() below, as JSON */
%ignore np_datapath_latency;
%ignore np_latency_hist;
%ignore np_datapath_hook;
%ignore np_datapath_hooks;
%ignore np_datapath_ruleset;
%ignore np_datapath_ruleset_id;
%ignore np_port_range;
%ignore np_datapath_rule;
%ignore np_rule_fn;
%ignore np_datapath_rule_foreach;
%ignore np_datapath_conn;
%ignore np_conn_fn;
%ignore np_datapath_conn_foreach;
%ignore np_datapath_verdict;
%ignore np_datapath_explain;
%ignore np_datapath_verify;
/* Reserved tails of the output structs (netpol/common.h) stay hidden. */
%ignore *::reserved;
%immutable;
%feature("immutable", "0") np_load_opts::skip_invalid;
%feature("immutable", "0") np_load_opts::format;
%feature("immutable", "0") np_compile_opts::source;
%feature("immutable", "0") np_swig_matrix_opts::family;
%feature("immutable", "0") np_swig_matrix_opts::source;

/* ---------------------------------------------------------------------
 * Opaque objects: no constructor from the language; the destructor is
 * the library's free.
 */
%nodefaultctor np_cluster;
%nodefaultdtor np_cluster;
%nodefaultctor np_ruleset;
%nodefaultdtor np_ruleset;
%nodefaultctor np_mapset;
%nodefaultdtor np_mapset;
%nodefaultctor np_datapath;
%nodefaultdtor np_datapath;
%nodefaultctor np_changes;
%nodefaultdtor np_changes;
struct np_changes {};
%extend np_changes {
	~np_changes() { np_changes_free($self); }
}
struct np_cluster {};
struct np_ruleset {};
struct np_mapset {};
struct np_datapath {};
%extend np_cluster {
	~np_cluster() { np_cluster_free($self); }
}
%extend np_ruleset {
	~np_ruleset() { np_ruleset_free($self); }
}
%extend np_mapset {
	~np_mapset() { np_mapset_free($self); }
}
/*
 * Closing leaves the datapath pinned and enforcing. np_datapath_destroy()
 * frees the handle too: the languages drop ownership before calling it.
 */
%extend np_datapath {
	~np_datapath() { np_datapath_close($self); }
}

/* Options structs: the constructor sets sz, the libbpf way. */
%extend np_load_opts {
	np_load_opts()
	{
		struct np_load_opts *o = calloc(1, sizeof(*o));

		if (o)
			o->sz = sizeof(*o);
		return o;
	}
	~np_load_opts() { free($self); }
}
%extend np_compile_opts {
	np_compile_opts()
	{
		struct np_compile_opts *o = calloc(1, sizeof(*o));

		if (o)
			o->sz = sizeof(*o);
		return o;
	}
	~np_compile_opts() { free($self); }
}

/*
 * The cluster's options only carry the log callback: Python sends it to
 * its logging module (np_swig_log() below); Go passes NULL.
 */
#ifdef SWIGPYTHON
%typemap(in, numinputs=0) const struct np_cluster_opts *opts
	(struct np_cluster_opts tmp)
%{
	memset(&tmp, 0, sizeof(tmp));
	tmp.sz = sizeof(tmp);
	tmp.log = np_swig_log;
	$1 = &tmp;
%}
#else
%typemap(in, numinputs=0) const struct np_cluster_opts *opts
%{ $1 = NULL; %}
%{
#define NP_SWIG_LOG NULL
%}
#endif

/* ---------------------------------------------------------------------
 * Python
 */
#ifdef SWIGPYTHON
%{
/*
 * Raise netpol.Error(errno, text, file, line, column, object, path,
 * message); diag may be NULL. Falls back to OSError if netpol._error
 * cannot be imported.
 */
static PyObject *np_swig_str(const char *s)
{
	return PyUnicode_DecodeUTF8(s, strlen(s), "surrogateescape");
}

/*
 * The library's log lines go to netpol._log.emit(level, msg), which hands
 * them to the logging module (logger "netpol"). Called with or without
 * the GIL (long calls release it), from any thread; an exception pending
 * in the caller is kept, one raised by the logging is dropped.
 */
#if PY_VERSION_HEX >= 0x030D0000
#define NP_SWIG_FINALIZING() Py_IsFinalizing()
#else
#define NP_SWIG_FINALIZING() _Py_IsFinalizing()
#endif

static void np_swig_log(void *ctx, enum np_log_level level, const char *msg)
{
	PyGILState_STATE st;
	PyObject *type, *value, *tb, *mod, *r = NULL;

	(void)ctx;
	/* nothing to log to while the interpreter goes away */
	if (!Py_IsInitialized() || NP_SWIG_FINALIZING())
		return;
	st = PyGILState_Ensure();
	PyErr_Fetch(&type, &value, &tb);
	mod = PyImport_ImportModule("netpol._log");
	if (mod) {
		r = PyObject_CallMethod(mod, "emit", "iN", (int)level,
					np_swig_str(msg ? msg : ""));
		Py_DECREF(mod);
	}
	Py_XDECREF(r);
	PyErr_Clear();
	PyErr_Restore(type, value, tb);
	PyGILState_Release(st);
}
#define NP_SWIG_LOG np_swig_log

/*
 * np_load_opts.on_diag of Python: appends (errno, text, file, line,
 * column, object, path, message) to the list in ctx.
 */
static void np_swig_on_diag(void *ctx, const struct np_diag *d)
{
	PyGILState_STATE st = PyGILState_Ensure();
	PyObject *type, *value, *tb, *t;
	char text[2048];

	PyErr_Fetch(&type, &value, &tb);
	if (np_diag_format(d, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "%s", np_strerror(d->err));
	t = Py_BuildValue("(iNNIINNN)", -d->err, np_swig_str(text),
			  np_swig_str(d->file), d->line, d->column,
			  np_swig_str(d->object), np_swig_str(d->path),
			  np_swig_str(d->message));
	if (t) {
		PyList_Append((PyObject *)ctx, t);
		Py_DECREF(t);
	}
	PyErr_Clear();
	PyErr_Restore(type, value, tb);
	PyGILState_Release(st);
}

static void np_swig_raise(int err, const struct np_diag *diag)
{
	static const struct np_diag empty;
	PyObject *mod, *cls = NULL, *args, *exc;
	char text[2048];

	if (!diag || diag->err != err)
		diag = &empty;
	if (diag == &empty || np_diag_format(diag, text, sizeof(text)) < 0 ||
	    !text[0])
		snprintf(text, sizeof(text), "%s", np_strerror(err));
	mod = PyImport_ImportModule("netpol._error");
	if (mod) {
		cls = PyObject_GetAttrString(mod, "_make");
		Py_DECREF(mod);
	}
	if (!cls) {
		PyErr_Clear();
		cls = PyExc_OSError;
		Py_INCREF(cls);
	}
	args = Py_BuildValue("(iNNIINNN)", -err, np_swig_str(text),
			     np_swig_str(diag->file), diag->line,
			     diag->column, np_swig_str(diag->object),
			     np_swig_str(diag->path),
			     np_swig_str(diag->message));
	if (!args) {
		Py_DECREF(cls);
		return;
	}
	exc = PyObject_Call(cls, args, NULL);
	Py_DECREF(args);
	Py_DECREF(cls);
	if (exc && !PyExceptionInstance_Check(exc)) {
		Py_DECREF(exc);
		exc = NULL;
	}
	if (exc) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
}
%}

/* Calls without a diagnostic raise from the return value. */
%typemap(out) int np_cluster_new, int np_cluster_delete,
	int np_cluster_export, int np_cluster_names, int np_ruleset_export,
	int np_ruleset_verdict, int np_mapset_encode, int np_mapset_export,
	int np_mapset_diff, int np_diag_format, int np_swig_lpm,
	int np_swig_portsets, int np_swig_matrix_opts_add_port,
	int np_swig_matrix_opts_add_protocol, int np_datapath_destroy,
	int np_datapath_detach, int np_datapath_gc, int np_datapath_set_events,
	int np_datapath_set_rule_counters,
	int np_swig_datapath_open, int np_swig_datapath_begin,
	int np_swig_datapath_set_node_ips, int np_swig_datapath_counters,
	int np_swig_datapath_poll_events, int np_swig_datapath_pods,
	int np_swig_datapath_stats, int np_swig_datapath_hooks,
	int np_swig_datapath_explain, int np_swig_datapath_verify,
	int np_swig_datapath_latency, int np_changes_mapset,
	int np_changes_diff, int np_changes_endpoint_export,
	int np_swig_changes_json, int np_swig_cluster_new
{
	if ($1 < 0) {
		np_swig_raise($1, NULL);
		SWIG_fail;
	}
	$result = SWIG_Py_Void();
}

/* Calls with one raise from their diagnostic's argout, below. */
%typemap(out) int np_cluster_load_file, int np_cluster_load_buffer,
	int np_cluster_endpoints, int np_ruleset_compile,
	int np_cluster_verdict, int np_swig_cluster_matrix,
	int np_swig_cluster_attribute, int np_swig_cluster_isolating,
	int np_datapath_apply,
	int np_datapath_fail_closed, int np_datapath_commit,
	int np_swig_cluster_changes
%{ $result = SWIG_Py_Void(); %}

/* A verdict (TC_ACT_*), a descriptor, or a negative errno. */
%typemap(out) int np_swig_datapath_test_packet, int np_swig_datapath_events_fd
{
	if ($1 < 0) {
		np_swig_raise($1, NULL);
		SWIG_fail;
	}
	$result = PyLong_FromLong($1);
}

/*
 * Waiting for flow events, and the cluster's long calls, let other
 * threads run (netpol.Cluster serializes the calls on one cluster).
 */
%exception np_swig_datapath_poll_events
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_cluster_load_file
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_cluster_load_buffer
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_cluster_endpoints
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_ruleset_compile
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_swig_cluster_changes
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_cluster_verdict
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_swig_cluster_matrix
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}
%exception np_swig_cluster_attribute
%{
	Py_BEGIN_ALLOW_THREADS
	$action
	Py_END_ALLOW_THREADS
%}

%typemap(in, numinputs=0) struct np_diag *diag (struct np_diag tmp)
%{
	memset(&tmp, 0, sizeof(tmp));
	$1 = &tmp;
%}
/* np_diag_format() takes a diagnostic the caller has. */
%typemap(in) const struct np_diag *diag = SWIGTYPE *;
%typemap(argout) const struct np_diag *diag ""

%typemap(argout) struct np_diag *diag
{
	if (result < 0) {
		np_swig_raise(result, $1);
		SWIG_fail;
	}
}

%typemap(in, numinputs=0) char **out (char *tmp = NULL),
	char **text (char *tmp = NULL), char **swig_out (char *tmp = NULL)
%{ $1 = &tmp; %}
%typemap(argout) char **out, char **text, char **swig_out
{
	if (result >= 0 && tmp$argnum) {
		PyObject *s = np_swig_str(tmp$argnum);

		if (!s)
			SWIG_fail;
		$result = SWIG_Python_AppendOutput($result, s);
	}
}
%typemap(freearg) char **out, char **text
%{ np_free(tmp$argnum); %}
%typemap(freearg) char **swig_out
%{ free(tmp$argnum); %}

%typemap(in, numinputs=0) SWIGTYPE **out ($*1_ltype tmp = NULL)
%{ $1 = &tmp; %}
%typemap(argout) SWIGTYPE **out
{
	if (result >= 0) {
		$result = SWIG_Python_AppendOutput($result,
			SWIG_NewPointerObj(tmp$argnum, $*1_descriptor,
					   SWIG_POINTER_OWN));
		tmp$argnum = NULL;
	}
}

/* Bytes or str, UTF-8 encoded. */
%typemap(in) (const void *buf, size_t len) (Py_buffer view, int got = 0)
{
	if (PyUnicode_Check($input)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize($input, &n);

		if (!s)
			SWIG_fail;
		$1 = (void *)s;
		$2 = (size_t)n;
	} else if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) == 0) {
		got = 1;
		$1 = view.buf;
		$2 = (size_t)view.len;
	} else {
		SWIG_exception_fail(SWIG_TypeError,
				    "expected str or a bytes-like object");
	}
}
%typemap(freearg) (const void *buf, size_t len)
%{
	if (got$argnum)
		PyBuffer_Release(&view$argnum);
%}

%typemap(in, numinputs=0) (char *buf, size_t size) (char tmp[2048])
%{
	tmp[0] = '\0';
	$1 = tmp;
	$2 = sizeof(tmp);
%}
%typemap(argout) (char *buf, size_t size)
{
	PyObject *s = np_swig_str(tmp$argnum);

	if (!s)
		SWIG_fail;
	$result = SWIG_Python_AppendOutput($result, s);
}
#endif /* SWIGPYTHON */

/* ---------------------------------------------------------------------
 * Go
 */
#ifdef SWIGGO
%typemap(gotype) char **out, char **text, char **swig_out "*string"
%typemap(in) char **out (char *tmp = NULL), char **text (char *tmp = NULL),
	char **swig_out (char *tmp = NULL)
%{ $1 = &tmp; %}
%typemap(argout, fragment="AllocateString") char **out, char **text,
	char **swig_out
%{
	if ($input && tmp$argnum)
		*$input = Swig_AllocateString(tmp$argnum, strlen(tmp$argnum));
%}
%typemap(goargout, fragment="CopyString") char **out, char **text,
	char **swig_out
%{
	if $input != nil && len(*$input) > 0 {
		*$input = swigCopyString(*$input)
	}
%}
%typemap(freearg) char **out, char **text
%{ np_free(tmp$argnum); %}
%typemap(freearg) char **swig_out
%{ free(tmp$argnum); %}

/* The new object's address in the first element of a []uintptr. */
%typemap(gotype) SWIGTYPE **out "[]uintptr"
%typemap(in) SWIGTYPE **out ($*1_ltype tmp = NULL)
{
	if ($input.len < 1)
		_swig_gopanic("out needs one element");
	$1 = &tmp;
}
%typemap(argout) SWIGTYPE **out
%{ ((uintptr_t *)$input.array)[0] = (uintptr_t)tmp$argnum; %}
%typemap(freearg) SWIGTYPE **out ""

/* A Go string, not copied. */
%apply (char *STRING, size_t LENGTH) { (const void *buf, size_t len) };

/* A []byte the call fills. */
%typemap(gotype) (char *buf, size_t size) "[]byte"
%typemap(in) (char *buf, size_t size)
%{
	$1 = (char *)$input.array;
	$2 = (size_t)$input.len;
%}
#endif /* SWIGGO */

%include <netpol/common.h>
%include <netpol/limits.h>
%include <netpol/diag.h>
%include <netpol/cluster.h>
%include <netpol/ruleset.h>
%include <netpol/attrib.h>
%include <netpol/mapset.h>
%include <netpol/datapath.h>

/* ---------------------------------------------------------------------
 * Helpers for signatures with no natural mapping.
 */
%{
/* Matrix options grown one port or protocol at a time. */
struct np_swig_matrix_opts {
	int family;
	enum np_source source;
};

struct np_swig_matrix_opts_priv {
	struct np_swig_matrix_opts pub;
	uint16_t ports[64];
	size_t nports;
	enum np_protocol protocols[3];
	size_t nprotocols;
};
%}

%extend np_swig_matrix_opts {
	np_swig_matrix_opts()
	{
		struct np_swig_matrix_opts_priv *o = calloc(1, sizeof(*o));

		if (!o)
			return NULL;
		o->pub.family = 4;
		return &o->pub;
	}
	~np_swig_matrix_opts() { free($self); }
}

struct np_swig_matrix_opts {
	int family;		/* 4 (default) or 6 */
	enum np_source source;
};

%inline %{
/* Add a port, 1..65535; -E2BIG past 64 ports. */
static int np_swig_matrix_opts_add_port(struct np_swig_matrix_opts *opts,
					int port)
{
	struct np_swig_matrix_opts_priv *o =
		(struct np_swig_matrix_opts_priv *)opts;

	if (!o || port < 1 || port > 65535)
		return -EINVAL;
	if (o->nports == sizeof(o->ports) / sizeof(o->ports[0]))
		return -E2BIG;
	o->ports[o->nports++] = (uint16_t)port;
	return 0;
}

/* Add a protocol, NP_PROTOCOL_*; -E2BIG past 3. */
static int np_swig_matrix_opts_add_protocol(struct np_swig_matrix_opts *opts,
					    int protocol)
{
	struct np_swig_matrix_opts_priv *o =
		(struct np_swig_matrix_opts_priv *)opts;

	if (!o || (protocol != NP_PROTOCOL_TCP &&
		   protocol != NP_PROTOCOL_UDP && protocol != NP_PROTOCOL_SCTP))
		return -EINVAL;
	if (o->nprotocols == 3)
		return -E2BIG;
	o->protocols[o->nprotocols++] = (enum np_protocol)protocol;
	return 0;
}

/* np_cluster_matrix() with the options above (NULL: defaults). */
static int np_swig_cluster_matrix(struct np_cluster *cluster,
				  const struct np_swig_matrix_opts *opts,
				  enum np_format format, char **out,
				  struct np_diag *diag)
{
	const struct np_swig_matrix_opts_priv *o =
		(const struct np_swig_matrix_opts_priv *)opts;
	NP_OPTS(np_matrix_opts, mo);

	if (o) {
		mo.ports = o->nports ? o->ports : NULL;
		mo.nports = o->nports;
		mo.protocols = o->nprotocols ? o->protocols : NULL;
		mo.nprotocols = o->nprotocols;
		mo.family = o->pub.family;
		mo.source = o->pub.source;
	}
	return np_cluster_matrix(cluster, &mo, format, out, diag);
}
%}

%{
static int np_swig_hex(char **swig_out, const unsigned char *a, size_t asz,
		       const unsigned char *b, size_t bsz, size_t count)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, j, line = 2 * asz + (bsz ? 1 + 2 * bsz : 0) + 1;
	char *s, *p;

	if (count && line > ((size_t)-1 - 1) / count)
		return -E2BIG;
	s = malloc(count * line + 1);
	if (!s)
		return -ENOMEM;
	for (i = 0, p = s; i < count; i++) {
		for (j = 0; j < asz; j++) {
			*p++ = digits[a[i * asz + j] >> 4];
			*p++ = digits[a[i * asz + j] & 15];
		}
		if (bsz) {
			*p++ = ' ';
			for (j = 0; j < bsz; j++) {
				*p++ = digits[b[i * bsz + j] >> 4];
				*p++ = digits[b[i * bsz + j] & 15];
			}
		}
		*p++ = '\n';
	}
	*p = '\0';
	*swig_out = s;
	return 0;
}
%}

%inline %{

/*
 * np_mapset_lpm() as text: one line per entry, "KEYHEX VALUEHEX".
 * *swig_out is malloc()ed: its typemap frees it with free().
 */
static int np_swig_lpm(const struct np_mapset *ms, int family,
		       enum np_direction dir, enum np_layout layout,
		       uint32_t ruleset_id, char **swig_out)
{
	NP_OPTS(np_mapset_lpm_opts, o, .layout = layout,
		.ruleset_id = ruleset_id);
	struct np_mapset_lpm_data d;
	int err;

	if (!swig_out)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	err = np_mapset_lpm(ms, family, dir, &o, &d);
	if (!err)
		err = np_swig_hex(swig_out, d.keys, d.key_size, d.values,
				  d.value_size, d.count);
	np_free(d.keys);
	np_free(d.values);
	return err;
}

/* np_mapset_portsets() as text: one port set a line, in hex. */
static int np_swig_portsets(const struct np_mapset *ms, char **swig_out)
{
	void *sets = NULL;
	size_t sz = 0, count = 0;
	int err;

	if (!swig_out)
		return -EINVAL;
	err = np_mapset_portsets(ms, &sets, &sz, &count);
	if (!err)
		err = np_swig_hex(swig_out, sets, sz, NULL, 0, count);
	np_free(sets);
	return err;
}
%}

/* ---------------------------------------------------------------------
 * The datapath: plain arguments instead of the options struct, and the
 * callbacks' results collected as JSON text (malloc()ed, like the hex
 * helpers' *swig_out).
 */
%{
#define NP_SWIG_MAX_IPS 16

/* A growing string; err sticks at the first failure. */
struct np_swig_buf {
	char *s;
	size_t len;
	size_t cap;
	int err;
};

static void np_swig_put(struct np_swig_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n >= b->cap - b->len || !b->s) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (n >= cap - b->len) {
			if (cap > ((size_t)-1) / 2) {
				b->err = -E2BIG;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->s, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void np_swig_puts(struct np_swig_buf *b, const char *s)
{
	np_swig_put(b, s, strlen(s));
}

/* "key": after a comma unless it opens an object */
static void np_swig_key(struct np_swig_buf *b, const char *key)
{
	if (b->len && b->s[b->len - 1] != '{')
		np_swig_puts(b, ",");
	np_swig_puts(b, "\"");
	np_swig_puts(b, key);
	np_swig_puts(b, "\":");
}

static void np_swig_putu(struct np_swig_buf *b, const char *key,
			 unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", v);

	np_swig_key(b, key);
	np_swig_put(b, tmp, (size_t)n);
}

static void np_swig_puti(struct np_swig_buf *b, const char *key, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);

	np_swig_key(b, key);
	np_swig_put(b, tmp, (size_t)n);
}

/* "key":"text" (escaped), or "key":null for NULL */
static void np_swig_puts_json(struct np_swig_buf *b, const char *key,
			      const char *s)
{
	static const char digits[] = "0123456789abcdef";
	char esc[7] = "\\u00";

	np_swig_key(b, key);
	if (!s) {
		np_swig_puts(b, "null");
		return;
	}
	np_swig_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			np_swig_put(b, esc, 2);
			esc[1] = 'u';
		} else if (c < 0x20) {
			esc[4] = digits[c >> 4];
			esc[5] = digits[c & 15];
			np_swig_put(b, esc, 6);
		} else {
			np_swig_put(b, (const char *)&c, 1);
		}
	}
	np_swig_puts(b, "\"");
}

/*
 * Split "a,b , c" into ips[] (pointers into buf, a copy of text). NULL or
 * "" gives none; -E2BIG past NP_SWIG_MAX_IPS (the library's own limit is
 * lower, and it says so).
 */
static int np_swig_split_ips(const char *text, char *buf, size_t size,
			     const char **ips, size_t *n)
{
	char *p, *tok, *save = NULL;

	*n = 0;
	if (!text || !*text)
		return 0;
	if (strlen(text) >= size)
		return -E2BIG;
	strcpy(buf, text);
	for (p = buf; (tok = strtok_r(p, ", \t\n", &save)); p = NULL) {
		if (*n == NP_SWIG_MAX_IPS)
			return -E2BIG;
		ips[(*n)++] = tok;
	}
	return 0;
}

struct np_swig_events {
	struct np_swig_buf buf;
	int max;
	int count;
};

static int np_swig_on_event(void *ctx, const struct np_event *ev)
{
	struct np_swig_events *e = ctx;
	struct np_swig_buf *b = &e->buf;

	np_swig_puts(b, e->count ? ",\n{" : "{");
	np_swig_putu(b, "time_ns", ev->time_ns);
	np_swig_putu(b, "mono_ns", ev->mono_ns);
	np_swig_putu(b, "ifindex", ev->ifindex);
	np_swig_putu(b, "direction", (unsigned)ev->direction);
	np_swig_puti(b, "family", ev->family);
	np_swig_puts_json(b, "src", ev->src_text);
	np_swig_puts_json(b, "dst", ev->dst_text);
	np_swig_putu(b, "sport", ev->sport);
	np_swig_putu(b, "dport", ev->dport);
	np_swig_putu(b, "protocol", ev->protocol);
	np_swig_key(b, "allowed");
	np_swig_puts(b, ev->allowed ? "true" : "false");
	np_swig_putu(b, "reason", (unsigned)ev->reason);
	np_swig_puts_json(b, "reason_name",
			  np_reason_name(ev->reason));
	np_swig_putu(b, "ruleset", ev->ruleset);
	np_swig_puti(b, "prefixlen", ev->prefixlen);
	np_swig_puts_json(b, "rule_cidr", ev->rule_cidr);
	np_swig_putu(b, "length", ev->length);
	np_swig_puts_json(b, "pod_ns", ev->pod_ns);
	np_swig_puts_json(b, "pod_name", ev->pod_name);
	np_swig_puts_json(b, "policies", ev->policies);
	np_swig_putu(b, "tier", (unsigned)ev->tier);
	np_swig_puts(b, "}");
	if (b->err)
		return b->err;
	e->count++;
	/* Stop after the last wanted event: the ring keeps the rest. */
	if (e->max > 0 && e->count >= e->max)
		return -ECANCELED;
	return 0;
}

static int np_swig_on_pod(void *ctx, const struct np_datapath_pod *pod)
{
	struct np_swig_buf *b = ctx;
	char tmp[128], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	np_swig_puts(b, b->len > 1 ? ",\n{" : "{");
	np_swig_putu(b, "ifindex", pod->ifindex);
	/* the addresses the datapath holds for the pod, "" when none */
	if (!(pod->ip_flags & NP_POD_IP4) ||
	    !inet_ntop(AF_INET, pod->ip4, a4, sizeof(a4)))
		a4[0] = '\0';
	if (!(pod->ip_flags & NP_POD_IP6) ||
	    !inet_ntop(AF_INET6, pod->ip6, a6, sizeof(a6)))
		a6[0] = '\0';
	np_swig_puts_json(b, "ip4", a4[0] ? a4 : NULL);
	np_swig_puts_json(b, "ip6", a6[0] ? a6 : NULL);
	np_swig_puts_json(b, "ifname", pod->ifname);
	np_swig_puts_json(b, "ns", pod->ns ? pod->ns : "");
	np_swig_puts_json(b, "name", pod->name ? pod->name : "");
	snprintf(tmp, sizeof(tmp), ",\"state\":[%u,%u],\"ruleset\":[%u,%u]}",
		 (unsigned)pod->state[0], (unsigned)pod->state[1],
		 (unsigned)pod->ruleset[0], (unsigned)pod->ruleset[1]);
	np_swig_puts(b, tmp);
	return b->err;
}
%}

%inline %{
/*
 * np_datapath_open() with plain arguments: pin_root NULL or "" for the
 * default, node_ips comma-separated ("" keeps the node's), revoke and
 * source_check enum np_switch values (NP_SWITCH_KEEP: as the node has
 * them), which the library checks.
 */
static int np_swig_datapath_open(struct np_datapath **out,
				 const char *pin_root, enum np_mode mode,
				 uint32_t ct_size, bool events,
				 const char *node_ips, int revoke,
				 int source_check)
{
	const char *ips[NP_SWIG_MAX_IPS];
	char buf[1024];
	size_t n;
	int err;
	NP_OPTS(np_datapath_opts, o);

	if (!out)
		return -EINVAL;
	*out = NULL;
	err = np_swig_split_ips(node_ips, buf, sizeof(buf), ips, &n);
	if (err)
		return err;
	o.pin_root = pin_root && *pin_root ? pin_root : NULL;
	o.mode = mode;
	o.ct_size = ct_size;
	o.events = events;
	o.node_ips = n ? ips : NULL;
	o.n_node_ips = n;
	o.revoke = (enum np_switch)revoke;
	o.source_check = (enum np_switch)source_check;
	o.log = NP_SWIG_LOG;
	return np_datapath_open(out, &o);
}

/*
 * np_datapath_attach() with plain arguments instead of struct
 * np_attach_opts, "" for NULL (Go has no NULL string); hook is an enum
 * np_hook_kind value (NP_HOOK_KIND_NONE: the library's choice), which the
 * library checks; ips the pod's addresses comma-separated ("" keeps the
 * pod's).
 */
static int np_swig_datapath_attach(struct np_datapath *dp,
				   const char *ifname, unsigned int ifindex,
				   const char *pod_ns, const char *pod_name,
				   int hook, const char *ips,
				   struct np_diag *diag)
{
	const char *ipv[NP_SWIG_MAX_IPS];
	char buf[1024];
	size_t n;
	int err;
	NP_OPTS(np_attach_opts, o, .ifindex = ifindex,
		.hook = (enum np_hook_kind)hook);

	if (diag)
		memset(diag, 0, sizeof(*diag));
	err = np_swig_split_ips(ips, buf, sizeof(buf), ipv, &n);
	if (err)
		return err;
	o.ifname = ifname && *ifname ? ifname : NULL;
	o.pod_ns = pod_ns && *pod_ns ? pod_ns : NULL;
	o.pod_name = pod_name && *pod_name ? pod_name : NULL;
	o.ips = n ? ipv : NULL;
	o.n_ips = n;
	return np_datapath_attach(dp, &o, diag);
}

/* np_datapath_begin() with nowait as a plain argument. */
static int np_swig_datapath_begin(struct np_datapath *dp, bool nowait)
{
	NP_OPTS(np_txn_opts, o, .nowait = nowait);

	return np_datapath_begin(dp, &o);
}

/* np_datapath_set_node_ips() with the addresses comma-separated. */
static int np_swig_datapath_set_node_ips(struct np_datapath *dp,
					 const char *node_ips)
{
	const char *ips[NP_SWIG_MAX_IPS];
	char buf[1024];
	size_t n;
	int err;

	err = np_swig_split_ips(node_ips, buf, sizeof(buf), ips, &n);
	if (err)
		return err;
	return np_datapath_set_node_ips(dp, n ? ips : NULL, n);
}

/* The verdict, TC_ACT_OK (0) or TC_ACT_SHOT (2), or a negative errno. */
static int np_swig_datapath_test_packet(struct np_datapath *dp,
					unsigned int ifindex,
					enum np_direction dir,
					const void *buf, size_t len)
{
	int verdict = -1, err;

	err = np_datapath_test_packet(dp, ifindex, dir, buf, len, &verdict);
	return err < 0 ? err : verdict;
}

static int np_swig_datapath_counters(struct np_datapath *dp,
				     unsigned int ifindex,
				     enum np_direction dir,
				     struct np_datapath_counters *counters)
{
	return np_datapath_counters(dp, ifindex, dir, counters);
}

/*
 * Wait up to timeout_ms for flow events, at most max of them (0: all that
 * are there), as a JSON array of objects: time_ns, mono_ns, ifindex,
 * direction, family, src, dst, sport, dport, protocol, allowed, reason,
 * reason_name, ruleset, prefixlen, rule_cidr, length, pod_ns, pod_name,
 * policies (null when unknown).
 */
static int np_swig_datapath_poll_events(struct np_datapath *dp,
					int timeout_ms, int max,
					char **swig_out)
{
	struct np_swig_events e = { { NULL, 0, 0, 0 }, max, 0 };
	int err;

	if (!swig_out || max < 0)
		return -EINVAL;
	np_swig_puts(&e.buf, "[");
	err = np_datapath_poll_events(dp, timeout_ms, np_swig_on_event, &e);
	if (err == -ECANCELED && max > 0 && e.count >= max)
		err = 0;
	np_swig_puts(&e.buf, "]");
	if (!err)
		err = e.buf.err;
	if (err) {
		free(e.buf.s);
		return err;
	}
	*swig_out = e.buf.s;
	return 0;
}

/*
 * The attached pods as a JSON array of objects: ifindex, ip4, ip6 (null:
 * none), ifname, ns, name, state [ingress, egress] (enum np_pod_state),
 * ruleset [ingress, egress].
 */
static int np_swig_datapath_pods(struct np_datapath *dp, char **swig_out)
{
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	int err;

	if (!swig_out)
		return -EINVAL;
	np_swig_puts(&b, "[");
	err = np_datapath_pod_foreach(dp, np_swig_on_pod, &b);
	np_swig_puts(&b, "]");
	if (!err)
		err = b.err;
	if (err) {
		free(b.s);
		return err;
	}
	*swig_out = b.s;
	return 0;
}
%}

/* ---------------------------------------------------------------------
 * Inspection of the live maps, as JSON or text.
 */
%inline %{
/*
 * np_datapath_stats() as a JSON object: events_lost, ct_entries,
 * ct_capacity, lpm_entries, lpm_capacity ([IPv4, IPv6] each), pods,
 * rulesets, events_on, ct_evictions ([IPv4, IPv6]), rule_counters_on.
 */
static int np_swig_datapath_stats(struct np_datapath *dp, char **swig_out)
{
	struct np_datapath_stats st;
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	char tmp[512];
	int err;

	if (!swig_out)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	err = np_datapath_stats(dp, &st);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp),
		 "{\"events_lost\":%llu,\"ct_entries\":[%llu,%llu],"
		 "\"ct_capacity\":[%llu,%llu],\"lpm_entries\":[%llu,%llu],"
		 "\"lpm_capacity\":[%llu,%llu],\"pods\":%llu,"
		 "\"rulesets\":%llu,\"events_on\":%s,"
		 "\"ct_evictions\":[%llu,%llu],\"rule_counters_on\":%s}",
		 (unsigned long long)st.events_lost,
		 (unsigned long long)st.ct_entries[0],
		 (unsigned long long)st.ct_entries[1],
		 (unsigned long long)st.ct_capacity[0],
		 (unsigned long long)st.ct_capacity[1],
		 (unsigned long long)st.lpm_entries[0],
		 (unsigned long long)st.lpm_entries[1],
		 (unsigned long long)st.lpm_capacity[0],
		 (unsigned long long)st.lpm_capacity[1],
		 (unsigned long long)st.pods, (unsigned long long)st.rulesets,
		 st.events_on ? "true" : "false",
		 (unsigned long long)st.ct_evictions[0],
		 (unsigned long long)st.ct_evictions[1],
		 st.rule_counters_on ? "true" : "false");
	np_swig_puts(&b, tmp);
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*swig_out = b.s;
	return 0;
}

/*
 * np_datapath_hooks() as a JSON object {"ingress": {...}, "egress": {...}}
 * by pod direction, each with state and kind (their names: "ok", ...;
 * "none", "tc", "tcx"), prog_id, expected_id, filters, ahead, ahead_kind
 * ("" when nothing is ahead), ahead_prio, ahead_handle, ahead_prog_id.
 */
static int np_swig_datapath_hooks(struct np_datapath *dp,
				  unsigned int ifindex, char **swig_out)
{
	static const char *const dirs[2] = { "ingress", "egress" };
	struct np_datapath_hook h[2];
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	int d, err;

	if (!swig_out)
		return -EINVAL;
	memset(h, 0, sizeof(h));
	err = np_datapath_hooks(dp, ifindex, h);
	if (err)
		return err;
	np_swig_puts(&b, "{");
	for (d = 0; d < 2; d++) {
		/* ahead_kind need not end in a NUL when it is full */
		char kind[sizeof(h[d].ahead_kind) + 1];

		memcpy(kind, h[d].ahead_kind, sizeof(h[d].ahead_kind));
		kind[sizeof(h[d].ahead_kind)] = '\0';
		np_swig_key(&b, dirs[d]);
		np_swig_puts(&b, "{");
		np_swig_puts_json(&b, "state", np_hook_state_name(h[d].state));
		np_swig_puts_json(&b, "kind", np_hook_kind_name(h[d].kind));
		np_swig_putu(&b, "prog_id", h[d].prog_id);
		np_swig_putu(&b, "expected_id", h[d].expected_id);
		np_swig_putu(&b, "filters", h[d].filters);
		np_swig_putu(&b, "ahead", h[d].ahead);
		np_swig_puts_json(&b, "ahead_kind", kind);
		np_swig_putu(&b, "ahead_prio", h[d].ahead_prio);
		np_swig_putu(&b, "ahead_handle", h[d].ahead_handle);
		np_swig_putu(&b, "ahead_prog_id", h[d].ahead_prog_id);
		np_swig_puts(&b, "}");
	}
	np_swig_puts(&b, "}");
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*swig_out = b.s;
	return 0;
}

/*
 * np_datapath_explain() as a JSON object: allowed, reason, reason_name,
 * state, ruleset, key, portset, slot, policies. rs may be NULL.
 */
static int np_swig_datapath_explain(struct np_datapath *dp,
				    unsigned int ifindex,
				    enum np_direction dir, const char *peer,
				    int protocol, int port,
				    const struct np_ruleset *rs,
				    char **swig_out)
{
	struct np_datapath_verdict v;
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	int err;

	if (!swig_out || protocol < 0 || protocol > 255 || port < 0 ||
	    port > 65535)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	err = np_datapath_explain(dp, ifindex, dir, peer, (uint8_t)protocol,
				  (uint16_t)port, rs, &v);
	if (err)
		return err;
	np_swig_puts(&b, "{");
	np_swig_key(&b, "allowed");
	np_swig_puts(&b, v.allowed ? "true" : "false");
	np_swig_putu(&b, "reason", (unsigned)v.reason);
	np_swig_puts_json(&b, "reason_name", np_reason_name(v.reason));
	np_swig_putu(&b, "state", (unsigned)v.state);
	np_swig_putu(&b, "ruleset", v.ruleset);
	np_swig_puts_json(&b, "key", v.key);
	np_swig_putu(&b, "portset", v.portset);
	np_swig_puti(&b, "slot", v.slot);
	np_swig_puts_json(&b, "policies", v.policies);
	np_swig_putu(&b, "tier", (unsigned)v.tier);
	np_swig_puts(&b, "}");
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*swig_out = b.s;
	return 0;
}

/* np_datapath_verify(): one line per drift, "" when none. */
static int np_swig_datapath_verify(struct np_datapath *dp,
				   unsigned int ifindex,
				   const struct np_ruleset *rs, char **text)
{
	size_t ndrift = 0;

	return np_datapath_verify(dp, ifindex, rs, text, &ndrift);
}
%}

/* ---------------------------------------------------------------------
 * Attribution: np_cluster_attribute() as its JSON document.
 */
%inline %{
/*
 * The attribution of a connection (np_cluster_attribute()) as the JSON
 * document of np_attrib_format() (netpol(8), ATTRIBUTION); directions:
 * bits 1 << enum np_direction, 0 both; max_pods 0: 3.
 */
static int np_swig_cluster_attribute(struct np_cluster *cluster,
				     const char *from, const char *to,
				     enum np_protocol proto, int port,
				     enum np_source source,
				     unsigned int directions,
				     unsigned int max_pods, char **out,
				     struct np_diag *diag)
{
	NP_OPTS(np_attrib_opts, o, .source = source,
		.directions = directions, .max_pods = max_pods);
	struct np_attrib *a = NULL;
	int err;

	if (port < 0 || port > 65535)
		return -EINVAL;
	err = np_cluster_attribute(&a, cluster, from, to, proto,
				   (uint16_t)port, &o, diag);
	if (err)
		return err;
	err = np_attrib_format(a, NP_FORMAT_JSON, out);
	np_attrib_free(a);
	return err;
}

/* np_cluster_isolating() with the source as a plain argument. */
static int np_swig_cluster_isolating(struct np_cluster *cluster,
				     const char *ns, const char *name,
				     enum np_direction dir,
				     enum np_source source, char **out,
				     struct np_diag *diag)
{
	NP_OPTS(np_attrib_opts, o, .source = source);

	return np_cluster_isolating(cluster, ns, name, dir, &o, out, diag);
}
%}

/* ---------------------------------------------------------------------
 * The cluster's options as plain arguments, and change sets.
 */
%inline %{
/* np_cluster_new() with the log callback and np_cluster_opts.cache_bytes */
static int np_swig_cluster_new(struct np_cluster **out, size_t cache_bytes)
{
	NP_OPTS(np_cluster_opts, o, .log = NP_SWIG_LOG,
		.cache_bytes = cache_bytes);

	return np_cluster_new(out, &o);
}

/* np_cluster_changes() with its options as plain arguments. */
static int np_swig_cluster_changes(struct np_cluster *cluster,
				   enum np_source source, bool endpoints,
				   struct np_changes **out,
				   struct np_diag *diag)
{
	NP_OPTS(np_changes_opts, o, .source = source,
		.endpoints = endpoints);

	return np_cluster_changes(cluster, &o, out, diag);
}
%}

%{
/* "key":[[a,b],[c,d]] of a [direction][family] count */
static void np_swig_put22(struct np_swig_buf *b, const char *key,
			  const uint32_t v[2][2])
{
	char tmp[64];

	np_swig_key(b, key);
	snprintf(tmp, sizeof(tmp), "[[%u,%u],[%u,%u]]", v[0][0], v[0][1],
		 v[1][0], v[1][1]);
	np_swig_puts(b, tmp);
}

static void np_swig_put2b(struct np_swig_buf *b, const char *key,
			  const bool v[2])
{
	np_swig_key(b, key);
	np_swig_puts(b, v[0] ? "[true," : "[false,");
	np_swig_puts(b, v[1] ? "true]" : "false]");
}
%}

%inline %{
/*
 * Every change of a change set as one JSON object: {"pods": [{ns, name,
 * kind, err, old_hash, new_hash, added, changed, removed, old_isolated,
 * new_isolated}, ...], "endpoints": [{ns, name, policy, kind, object_kind,
 * old_hash, new_hash}, ...]}, in the order of np_changes_get() and
 * np_changes_endpoint(); counts as [[ingress v4, v6], [egress v4, v6]].
 */
static int np_swig_changes_json(const struct np_changes *ch, char **swig_out)
{
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	size_t i, n;
	int err;

	if (!ch || !swig_out)
		return -EINVAL;
	np_swig_puts(&b, "{\"pods\":[");
	n = np_changes_count(ch);
	for (i = 0; i < n; i++) {
		struct np_change c;

		err = np_changes_get(ch, i, &c);
		if (err) {
			free(b.s);
			return err;
		}
		np_swig_puts(&b, i ? ",{" : "{");
		np_swig_puts_json(&b, "ns", c.ns);
		np_swig_puts_json(&b, "name", c.name);
		np_swig_puti(&b, "kind", c.kind);
		np_swig_puti(&b, "err", c.err);
		np_swig_putu(&b, "old_hash", c.old_hash);
		np_swig_putu(&b, "new_hash", c.new_hash);
		np_swig_put22(&b, "added", c.added);
		np_swig_put22(&b, "changed", c.changed);
		np_swig_put22(&b, "removed", c.removed);
		np_swig_put2b(&b, "old_isolated", c.old_isolated);
		np_swig_put2b(&b, "new_isolated", c.new_isolated);
		np_swig_puts(&b, "}");
	}
	np_swig_puts(&b, "],\"endpoints\":[");
	n = np_changes_endpoints_count(ch);
	for (i = 0; i < n; i++) {
		struct np_endpoint_change e;

		err = np_changes_endpoint(ch, i, &e);
		if (err) {
			free(b.s);
			return err;
		}
		np_swig_puts(&b, i ? ",{" : "{");
		np_swig_puts_json(&b, "ns", e.ns);
		np_swig_puts_json(&b, "name", e.name);
		np_swig_puts_json(&b, "policy", e.policy);
		np_swig_puti(&b, "kind", e.kind);
		np_swig_puti(&b, "object_kind", e.object_kind);
		np_swig_putu(&b, "old_hash", e.old_hash);
		np_swig_putu(&b, "new_hash", e.new_hash);
		np_swig_puts(&b, "}");
	}
	np_swig_puts(&b, "]}");
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*swig_out = b.s;
	return 0;
}
%}

/* ---------------------------------------------------------------------
 * Python only: diagnostics collected, events for an event loop, latency.
 */
#ifdef SWIGPYTHON
%inline %{
/*
 * Collect every problem of a load into the list diags (see
 * np_swig_on_diag()): the list must outlive the load call.
 */
static void np_swig_load_opts_collect(struct np_load_opts *opts,
				      PyObject *diags)
{
	if (!opts)
		return;
	if (diags && PyList_Check(diags)) {
		opts->on_diag = np_swig_on_diag;
		opts->diag_ctx = diags;
	} else {
		opts->on_diag = NULL;
		opts->diag_ctx = NULL;
	}
}

/* np_datapath_events_fd(): the descriptor, or a negative errno. */
static int np_swig_datapath_events_fd(struct np_datapath *dp)
{
	int fd = -1, err;

	err = np_datapath_events_fd(dp, &fd);
	return err < 0 ? err : fd;
}

/*
 * np_datapath_latency() as a JSON object: bounds and counts (cumulative)
 * of the buckets in use, count and sum.
 */
static int np_swig_datapath_latency(struct np_datapath *dp, char **swig_out)
{
	struct np_latency_hist h;
	struct np_swig_buf b = { NULL, 0, 0, 0 };
	char tmp[64];
	size_t i, n;
	int err;

	if (!swig_out)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	err = np_datapath_latency(dp, &h);
	if (err)
		return err;
	n = h.nbuckets < NP_LATENCY_MAX_BUCKETS ? h.nbuckets :
						  NP_LATENCY_MAX_BUCKETS;
	np_swig_puts(&b, "{\"bounds\":[");
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s%.17g", i ? "," : "",
			 h.bounds[i]);
		np_swig_puts(&b, tmp);
	}
	np_swig_puts(&b, "],\"counts\":[");
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s%llu", i ? "," : "",
			 (unsigned long long)h.counts[i]);
		np_swig_puts(&b, tmp);
	}
	snprintf(tmp, sizeof(tmp), "],\"count\":%llu,\"sum\":%.17g}",
		 (unsigned long long)h.count, h.sum);
	np_swig_puts(&b, tmp);
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*swig_out = b.s;
	return 0;
}
%}
#endif /* SWIGPYTHON */
