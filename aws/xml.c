/* Bounded XML parsing for AWS responses: no network, no entity expansion, no DTDs, a depth
 * limit, and small helpers that match elements by local name (AWS namespaces vary by API
 * version and do not matter to us). */
#include "wire.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 reports some problems (an encoding it cannot convert) through its generic error
 * channel, which writes to stderr whatever the parser options say; parapet says what failed in
 * its own error instead. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void xml_init(void)
{
    xmlInitParser();
    xmlThrDefSetGenericErrorFunc(NULL, quiet);
}

void pp_xml_init(void)
{
    pthread_once(&xml_once, xml_init);
}

static bool too_deep(xmlNode *root)
{
    /* Iterative pre-order walk: the limit must hold before any recursive decoder runs. */
    int depth = 1;
    xmlNode *n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && depth > PP_XML_MAX_DEPTH)
            return true;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            depth++;
            continue;
        }
        while (n != root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n == root)
            return false;
        n = n->next;
    }
    return false;
}

xmlDoc *pp_xml_parse(const char *body, size_t len)
{
    pthread_once(&xml_once, xml_init);
    if (!body || len == 0 || len > (size_t)INT32_MAX) {
        pp_err_set(PP_EINVAL, "empty XML document");
        return NULL;
    }
    /* The handler is per thread: set it on the caller's, whenever it was created. */
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        pp_err_set(PP_ENOMEM, "out of memory");
        return NULL;
    }
    /* No XML_PARSE_NOENT (entities stay references), no DTDLOAD/DTDATTR, no HUGE (keeps
     * libxml2's own limits), no network. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, opts);
    if (!doc) {
        /* libxml2's own words say what is wrong (a mismatched tag, excessive depth); they may
         * quote the input, so they are cut short and kept to one line. */
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char why[161] = "";
        if (e && e->message)
            snprintf(why, sizeof(why), "%s", e->message);
        for (char *p = why; *p; p++)
            if ((unsigned char)*p < ' ')
                *p = ' ';
        char *advice = strstr(why, " use XML_PARSE_HUGE"); /* not for parapet's users */
        if (advice)
            *advice = '\0';
        size_t n = strlen(why);
        while (n && why[n - 1] == ' ')
            why[--n] = '\0';
        if (n)
            pp_err_set(PP_EINVAL, "malformed XML at line %d: %s", e->line, why);
        else
            pp_err_set(PP_EINVAL, "malformed XML");
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    if (doc->intSubset || doc->extSubset) {
        /* AWS never sends a DTD; one here can only be an entity trick. */
        xmlFreeDoc(doc);
        pp_err_set(PP_EINVAL, "XML with a DTD refused");
        return NULL;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        xmlFreeDoc(doc);
        pp_err_set(PP_EINVAL, "XML without a root element");
        return NULL;
    }
    if (too_deep(root)) {
        xmlFreeDoc(doc);
        pp_err_set(PP_EINVAL, "XML nested deeper than %d levels", PP_XML_MAX_DEPTH);
        return NULL;
    }
    return doc;
}

bool pp_xml_is(xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

xmlNode *pp_xml_first_element(xmlNode *parent)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

xmlNode *pp_xml_child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (pp_xml_is(c, name))
            return c;
    return NULL;
}

char *pp_xml_text(xmlNode *node)
{
    xmlChar *t = node ? xmlNodeGetContent(node) : NULL;
    char *s = pp_xstrdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

char *pp_xml_child_text(xmlNode *parent, const char *name)
{
    xmlNode *c = pp_xml_child(parent, name);
    return c ? pp_xml_text(c) : NULL;
}
