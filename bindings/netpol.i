/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one SWIG interface of libnetpol, shared by Python and Go
 * (CONVENTIONS §26). It wraps the public headers as they are, with a few
 * typemaps:
 *
 *   char **out, char **text    the string the library allocated, returned
 *                              and freed with np_free()
 *   struct np_x **out          the new object, owned by the caller
 *   Python: int < 0            raises netpol.Error (an OSError) with the
 *                              call's struct np_diag, which is hidden
 *   Go:     int                returned as is, with struct np_diag passed
 *                              by the caller; netpol.go turns it into an
 *                              error (Go has no exceptions to raise)
 *
 * and a few helpers (np_swig_*) where a C signature has no natural
 * mapping: raw LPM and port-set bytes come back as hex text, so the same
 * string typemap serves both languages. Everything else (string kinds,
 * dicts, slices, errors) lives in the hand-written layers:
 * bindings/python/netpol/__init__.py and bindings/go/netpol.go.
 */
#ifdef SWIGPYTHON
%module(package="netpol") capi
#else
%module capi
#endif

%{
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
%ignore np_mapset_portsets;
%ignore np_cluster_opts;
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
struct np_cluster {};
struct np_ruleset {};
struct np_mapset {};
%extend np_cluster {
	~np_cluster() { np_cluster_free($self); }
}
%extend np_ruleset {
	~np_ruleset() { np_ruleset_free($self); }
}
%extend np_mapset {
	~np_mapset() { np_mapset_free($self); }
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

/* The cluster's options only carry the log callback: NULL for now. */
%typemap(in, numinputs=0) const struct np_cluster_opts *opts
%{ $1 = NULL; %}

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
		cls = PyObject_GetAttrString(mod, "Error");
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
	int np_swig_matrix_opts_add_protocol
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
	int np_cluster_verdict, int np_swig_cluster_matrix
%{ $result = SWIG_Py_Void(); %}

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
%include <netpol/diag.h>
%include <netpol/cluster.h>
%include <netpol/ruleset.h>
%include <netpol/mapset.h>

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
	void *keys = NULL, *values = NULL;
	size_t ksz = 0, vsz = 0, count = 0;
	int err;

	if (!swig_out)
		return -EINVAL;
	err = np_mapset_lpm(ms, family, dir, layout, ruleset_id, &keys, &ksz,
			    &values, &vsz, &count);
	if (!err)
		err = np_swig_hex(swig_out, keys, ksz, values, vsz, count);
	np_free(keys);
	np_free(values);
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
