/* SPDX-License-Identifier: MIT */
/* sip_print.c - SIP message printer (see pc_sip_print.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc_sip_print.h"

static bool is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("-.!%*_+`'~", c) != NULL;
}

static bool is_token(struct pc_sip_slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

static bool has_crlf(struct pc_sip_slice s)
{
	return s.len && (memchr(s.p, '\r', s.len) || memchr(s.p, '\n', s.len));
}

static int pb_fail(struct pc_sip_pb *pb, int rc)
{
	if (pb->err == 0)
		pb->err = rc;
	return pb->err;
}

void pc_sip_pb_init(struct pc_sip_pb *pb, char *buf, size_t size)
{
	pb->buf = buf;
	pb->size = buf ? size : 0;
	pb->len = 0;
	pb->err = 0;
}

int pc_sip_pb_raw(struct pc_sip_pb *pb, const void *p, size_t n)
{
	if (pb->err)
		return pb->err;
	if (n > pb->size - pb->len)
		return pb_fail(pb, -ENOSPC);
	if (n)
		memcpy(pb->buf + pb->len, p, n);
	pb->len += n;
	return 0;
}

static int pb_s(struct pc_sip_pb *pb, struct pc_sip_slice s)
{
	return pc_sip_pb_raw(pb, s.p, s.len);
}

static int pb_lit(struct pc_sip_pb *pb, const char *s)
{
	return pc_sip_pb_raw(pb, s, strlen(s));
}

int pc_sip_pb_printf(struct pc_sip_pb *pb, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (pb->err)
		return pb->err;
	room = pb->size - pb->len;
	va_start(ap, fmt);
	/* vsnprintf writes a NUL: it may land in the last free byte, which is ours to use. */
	n = vsnprintf(room ? pb->buf + pb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pb_fail(pb, -EINVAL);
	if ((size_t)n >= room) {
		/* Nothing counted as written; a cut text with a NUL may sit in the free space. */
		return pb_fail(pb, -ENOSPC);
	}
	pb->len += (size_t)n;
	return 0;
}

int pc_sip_pb_request_line(struct pc_sip_pb *pb, struct pc_sip_slice method,
			   struct pc_sip_slice uri)
{
	if (!is_token(method) || uri.len == 0 || has_crlf(uri) || memchr(uri.p, ' ', uri.len))
		return pb_fail(pb, -EINVAL);
	pb_s(pb, method);
	pb_lit(pb, " ");
	pb_s(pb, uri);
	return pb_lit(pb, " SIP/2.0\r\n");
}

int pc_sip_pb_status_line(struct pc_sip_pb *pb, unsigned code, struct pc_sip_slice reason)
{
	if (code < 100 || code > 699 || has_crlf(reason))
		return pb_fail(pb, -EINVAL);
	pc_sip_pb_printf(pb, "SIP/2.0 %u ", code);
	pb_s(pb, reason);
	return pb_lit(pb, "\r\n");
}

int pc_sip_pb_header_begin(struct pc_sip_pb *pb, enum pc_sip_hdr_id id, struct pc_sip_slice name)
{
	const char *known = pc_sip_hdr_name(id);

	if (known[0]) {
		pb_lit(pb, known);
	} else {
		if (!is_token(name))
			return pb_fail(pb, -EINVAL);
		pb_s(pb, name);
	}
	return pb_lit(pb, ": ");
}

int pc_sip_pb_header_end(struct pc_sip_pb *pb)
{
	return pb_lit(pb, "\r\n");
}

int pc_sip_pb_header(struct pc_sip_pb *pb, enum pc_sip_hdr_id id, struct pc_sip_slice name,
		     struct pc_sip_slice value)
{
	if (has_crlf(value))
		return pb_fail(pb, -EINVAL);
	pc_sip_pb_header_begin(pb, id, name);
	pb_s(pb, value);
	return pc_sip_pb_header_end(pb);
}

static void pb_host(struct pc_sip_pb *pb, enum pc_sip_host_type type, struct pc_sip_slice host)
{
	bool br = type == PC_SIP_HOST_IPV6 ||
		  (host.len && host.p[0] != '[' && memchr(host.p, ':', host.len));

	if (br)
		pb_lit(pb, "[");
	pb_s(pb, host);
	if (br)
		pb_lit(pb, "]");
}

int pc_sip_pb_params(struct pc_sip_pb *pb, const struct pc_sip_param *params, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		pb_lit(pb, ";");
		pb_s(pb, params[k].name);
		if (params[k].has_value) {
			pb_lit(pb, "=");
			pb_s(pb, params[k].value);
		}
	}
	return pb->err;
}

int pc_sip_pb_uri(struct pc_sip_pb *pb, const struct pc_sip_uri *uri)
{
	switch (uri->scheme) {
	case PC_SIP_SCHEME_OTHER:
		pb_s(pb, uri->scheme_s);
		pb_lit(pb, ":");
		return pb_s(pb, uri->opaque);
	case PC_SIP_SCHEME_TEL:
		pb_lit(pb, "tel:");
		pb_s(pb, uri->user);
		return pc_sip_pb_params(pb, uri->params, uri->nparams);
	case PC_SIP_SCHEME_SIP:
	case PC_SIP_SCHEME_SIPS:
		break;
	default:
		return pb_fail(pb, -EINVAL);
	}
	pb_lit(pb, uri->scheme == PC_SIP_SCHEME_SIPS ? "sips:" : "sip:");
	if (uri->has_user) {
		pb_s(pb, uri->user);
		if (uri->has_password) {
			pb_lit(pb, ":");
			pb_s(pb, uri->password);
		}
		pb_lit(pb, "@");
	}
	pb_host(pb, uri->host_type, uri->host);
	if (uri->port >= 0)
		pc_sip_pb_printf(pb, ":%d", uri->port);
	pc_sip_pb_params(pb, uri->params, uri->nparams);
	for (unsigned k = 0; k < uri->nheaders; k++) {
		pb_lit(pb, k ? "&" : "?");
		pb_s(pb, uri->headers[k].name);
		pb_lit(pb, "=");
		pb_s(pb, uri->headers[k].value);
	}
	return pb->err;
}

int pc_sip_pb_display_name(struct pc_sip_pb *pb, struct pc_sip_slice name)
{
	bool plain = name.len > 0;

	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return pb_fail(pb, -EINVAL);
		/* tokens separated by single spaces may stay unquoted (RFC 3261 25.1
		 * display-name = *(token LWS) / quoted-string) */
		if (c == ' ') {
			if (i == 0 || i + 1 == name.len || name.p[i - 1] == ' ')
				plain = false;
		} else if (!is_token_char(c)) {
			plain = false;
		}
	}
	if (plain)
		return pb_s(pb, name);
	if (pb->err)
		return pb->err;
	/* All or nothing: the quoted form's size first. */
	size_t need = 2;
	for (size_t i = 0; i < name.len; i++)
		need += (name.p[i] == '"' || name.p[i] == '\\') ? 2 : 1;
	if (need > pb->size - pb->len)
		return pb_fail(pb, -ENOSPC);
	pb_lit(pb, "\"");
	for (size_t i = 0; i < name.len; i++) {
		if (name.p[i] == '"' || name.p[i] == '\\')
			pb_lit(pb, "\\");
		pc_sip_pb_raw(pb, name.p + i, 1);
	}
	return pb_lit(pb, "\"");
}

int pc_sip_pb_name_addr(struct pc_sip_pb *pb, const struct pc_sip_name_addr *na)
{
	if (na->star)
		return pb_lit(pb, "*");
	if (na->display.len > 0) {
		if (has_crlf(na->display) && !na->quoted)
			return pb_fail(pb, -EINVAL);
		if (na->quoted) {
			/* as it was: escapes kept, folds made one SP */
			pb_lit(pb, "\"");
			for (size_t i = 0; i < na->display.len; i++) {
				char c = na->display.p[i];

				if (c == '\r' || c == '\n') {
					if (c == '\n')
						pb_lit(pb, " ");
					while (i + 1 < na->display.len &&
					       (na->display.p[i + 1] == ' ' ||
						na->display.p[i + 1] == '\t'))
						i++;
					continue;
				}
				pc_sip_pb_raw(pb, &c, 1);
			}
			pb_lit(pb, "\"");
		} else {
			pb_s(pb, na->display);
		}
		pb_lit(pb, " ");
	}
	pb_lit(pb, "<");
	pc_sip_pb_uri(pb, &na->uri);
	pb_lit(pb, ">");
	return pc_sip_pb_params(pb, na->params, na->nparams);
}

int pc_sip_pb_escape_hvalue(struct pc_sip_pb *pb, struct pc_sip_slice raw)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = 0;

	/* all or nothing: the escaped size first */
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || (c && strchr("-_.!~*'()[]/?:+$", c));
		need += plain ? 1 : 3;
	}
	if (pb->err)
		return pb->err;
	if (need > pb->size - pb->len)
		return pb_fail(pb, -ENOSPC);
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || (c && strchr("-_.!~*'()[]/?:+$", c));

		if (plain) {
			pb->buf[pb->len++] = (char)c;
		} else {
			pb->buf[pb->len++] = '%';
			pb->buf[pb->len++] = hex[c >> 4];
			pb->buf[pb->len++] = hex[c & 15];
		}
	}
	return 0;
}

int pc_sip_pb_via(struct pc_sip_pb *pb, const struct pc_sip_via *via)
{
	const char *t = pc_sip_uri_transport_name(via->transport);

	pb_s(pb, via->protocol);
	pb_lit(pb, "/");
	pb_s(pb, via->version);
	pb_lit(pb, "/");
	if (t[0])
		pb_lit(pb, t);
	else
		pb_s(pb, via->transport_s);
	pb_lit(pb, " ");
	pb_host(pb, via->host_type, via->host);
	if (via->port >= 0)
		pc_sip_pb_printf(pb, ":%d", via->port);
	return pc_sip_pb_params(pb, via->params, via->nparams);
}

int pc_sip_pb_via_fields(struct pc_sip_pb *pb, enum pc_sip_uri_transport transport,
			 struct pc_sip_slice host, int port, struct pc_sip_slice branch, bool rport)
{
	const char *t = pc_sip_uri_transport_name(transport);

	if (!t[0] || host.len == 0 || has_crlf(host) || !is_token(branch) || port > 65535)
		return pb_fail(pb, -EINVAL);
	pb_lit(pb, "SIP/2.0/");
	pb_lit(pb, t);
	pb_lit(pb, " ");
	pb_host(pb, PC_SIP_HOST_NAME, host);
	if (port >= 0)
		pc_sip_pb_printf(pb, ":%d", port);
	pb_lit(pb, ";branch=");
	pb_s(pb, branch);
	if (rport)
		pb_lit(pb, ";rport");
	return pb->err;
}

int pc_sip_pb_finish(struct pc_sip_pb *pb, struct pc_sip_slice body, size_t *outlen)
{
	pc_sip_pb_printf(pb, "Content-Length: %zu\r\n\r\n", body.len);
	pb_s(pb, body);
	if (pb->err == 0 && outlen)
		*outlen = pb->len;
	return pb->err;
}

/* The value with each fold (CRLF and the SP/HTAB run after it) as one SP. */
static void pb_unfolded(struct pc_sip_pb *pb, struct pc_sip_slice v)
{
	size_t s = 0;

	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] != '\r' && v.p[i] != '\n')
			continue;
		pc_sip_pb_raw(pb, v.p + s, i - s);
		while (i < v.len && (v.p[i] == '\r' || v.p[i] == '\n'))
			i++;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		pb_lit(pb, " ");
		s = i;
		i--;
	}
	pc_sip_pb_raw(pb, v.p + s, v.len - s);
}

int pc_sip_msg_print(const struct pc_sip_msg *msg, char *buf, size_t size, size_t *outlen)
{
	struct pc_sip_pb pb;

	pc_sip_pb_init(&pb, buf, size);
	if (msg->is_request)
		pc_sip_pb_request_line(&pb, msg->method, msg->uri);
	else
		pc_sip_pb_status_line(&pb, msg->status, msg->reason);
	for (unsigned k = 0; k < msg->nheaders; k++) {
		const struct pc_sip_header *h = &msg->headers[k];

		if (h->id == PC_SIP_HDR_CONTENT_LENGTH)
			continue;
		pc_sip_pb_header_begin(&pb, h->id, h->name);
		pb_unfolded(&pb, h->value);
		pc_sip_pb_header_end(&pb);
	}
	return pc_sip_pb_finish(&pb, msg->body, outlen);
}
