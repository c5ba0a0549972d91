/* jsontool.c - the JSON helpers the integration tests need, in C so that CI needs no Python:
 *
 *   jsontool schema OPENAPI.yaml SCHEMA FILE.json...   validate each file against
 *                                                      #/components/schemas/SCHEMA of the contract
 *   jsontool same A.json B.json [MASKED_KEY...]        equal, once the values of every object member
 *                                                      named MASKED_KEY are masked (its key set is
 *                                                      still compared); else prints the first
 *                                                      difference as a JSON pointer
 *   jsontool pluck KEY < array.json                    prints member KEY of each array element
 *   jsontool monotone BATCH.json                       a /v1/map/batch reply's answered items, by
 *                                                      hardware.buffer: latency never grows with it;
 *                                                      prints "answers carried [pairs that grow]"
 *
 * The schema check covers the JSON Schema subset api/openapi.yaml uses: $ref, type (a name or a
 * list, "null"), nullable, enum, required, properties, additionalProperties (false or a schema),
 * items, minItems, minimum, maximum, allOf, and oneOf/anyOf (both read as anyOf: the contract's
 * alternatives may overlap). The YAML is read with libyaml's document API; plain scalars are typed
 * as YAML 1.2's core schema does (null, booleans, integers, floats), quoted ones are strings.
 * Exit 0 when valid / equal, 1 when not (one line per violation), 2 on usage or unreadable input. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---------------------------------------------------------------------------------------------
 * YAML -> jansson */

static json_t *plain_scalar(const char *s, size_t n) {
    if (n == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")) return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return json_false();
    char *end;
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0 && end != s) return json_integer(i);
    errno = 0;
    double d = strtod(s, &end);
    if (*end == '\0' && errno == 0 && end != s && strspn(s, "+-0123456789.eE") == n) return json_real(d);
    return json_stringn(s, n);
}

static json_t *yaml_node_json(yaml_document_t *doc, yaml_node_t *node, int depth) {
    if (!node || depth > 64) return NULL;
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        size_t n = node->data.scalar.length;
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return plain_scalar(s, n);
        return json_stringn(s, n);
    }
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
            json_t *v = yaml_node_json(doc, yaml_document_get_node(doc, *it), depth + 1);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                json_decref(o);
                return NULL;
            }
            json_t *v = yaml_node_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, (const char *)k->data.scalar.value, v);
        }
        return o;
    }
    default: return NULL;
    }
}

static json_t *load_yaml(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "jsontool: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    yaml_parser_t p;
    yaml_document_t doc;
    json_t *out = NULL;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    if (!yaml_parser_load(&p, &doc)) {
        fprintf(stderr, "jsontool: %s:%zu:%zu: YAML: %s\n", path, p.problem_mark.line + 1, p.problem_mark.column + 1,
                p.problem ? p.problem : "error");
    } else {
        out = yaml_node_json(&doc, yaml_document_get_root_node(&doc), 0);
        if (!out) fprintf(stderr, "jsontool: %s: empty or unsupported YAML\n", path);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return out;
}

static json_t *load_json(const char *path) {
    json_error_t e;
    json_t *j = strcmp(path, "-") ? json_load_file(path, JSON_DECODE_ANY, &e) : json_loadf(stdin, JSON_DECODE_ANY, &e);
    if (!j) fprintf(stderr, "jsontool: %s:%d: %s\n", path, e.line, e.text);
    return j;
}

/* ---------------------------------------------------------------------------------------------
 * schema check */

typedef struct {
    json_t *root; /* the whole contract, for $ref */
    const char *file;
    int errors; /* violations printed */
    int quiet;  /* > 0 inside an anyOf trial: count, do not print */
} checker;

__attribute__((format(printf, 3, 4))) static void violation(checker *c, const char *ptr, const char *fmt, ...) {
    c->errors++;
    if (c->quiet) return;
    printf("%s: %s: ", c->file, *ptr ? ptr : "/");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static json_t *resolve(checker *c, json_t *s) {
    for (int hops = 0; json_is_object(s) && json_object_get(s, "$ref") && hops < 32; hops++) {
        const char *ref = json_string_value(json_object_get(s, "$ref"));
        if (!ref || strncmp(ref, "#/", 2)) return NULL;
        json_t *node = c->root;
        char buf[512];
        snprintf(buf, sizeof buf, "%s", ref + 2);
        for (char *save = NULL, *part = strtok_r(buf, "/", &save); part && node; part = strtok_r(NULL, "/", &save))
            node = json_object_get(node, part);
        s = node;
    }
    return s;
}

static int type_ok(const char *t, json_t *v) {
    if (!strcmp(t, "object")) return json_is_object(v);
    if (!strcmp(t, "array")) return json_is_array(v);
    if (!strcmp(t, "string")) return json_is_string(v);
    if (!strcmp(t, "boolean")) return json_is_boolean(v);
    if (!strcmp(t, "integer")) return json_is_integer(v);
    if (!strcmp(t, "number")) return json_is_number(v);
    if (!strcmp(t, "null")) return json_is_null(v);
    return 0;
}

static void check(checker *c, json_t *schema, json_t *v, const char *ptr);

static void check_alternatives(checker *c, json_t *alts, json_t *v, const char *ptr, const char *key) {
    if (!json_is_array(alts)) return;
    size_t i;
    json_t *sub;
    json_array_foreach(alts, i, sub) {
        int before = c->errors;
        c->quiet++;
        check(c, sub, v, ptr);
        c->quiet--;
        int failed = c->errors - before;
        c->errors = before;
        if (!failed) return;
    }
    violation(c, ptr, "matches none of the %s alternatives", key);
}

static void check(checker *c, json_t *schema, json_t *v, const char *ptr) {
    json_t *s = resolve(c, schema);
    if (!json_is_object(s)) return;
    if (json_is_null(v) && json_is_true(json_object_get(s, "nullable"))) return;
    json_t *t = json_object_get(s, "type");
    if (t) {
        int ok = 0;
        char names[128] = "";
        if (json_is_string(t)) {
            ok = type_ok(json_string_value(t), v);
            snprintf(names, sizeof names, "%s", json_string_value(t));
        } else if (json_is_array(t)) {
            size_t i;
            json_t *x;
            json_array_foreach(t, i, x) {
                if (json_is_string(x) && type_ok(json_string_value(x), v)) ok = 1;
                if (json_is_string(x)) {
                    size_t n = strlen(names);
                    snprintf(names + n, sizeof names - n, "%s%s", n ? "/" : "", json_string_value(x));
                }
            }
        }
        if (!ok) {
            violation(c, ptr, "not of type %s", names);
            return;
        }
    }
    json_t *en = json_object_get(s, "enum");
    if (json_is_array(en)) {
        size_t i;
        json_t *x;
        int found = 0;
        json_array_foreach(en, i, x) if (json_equal(x, v)) found = 1;
        if (!found) {
            char *d = json_dumps(v, JSON_ENCODE_ANY);
            violation(c, ptr, "%s is not one of the enum values", d ? d : "?");
            free(d);
        }
    }
    if (json_is_number(v)) {
        double x = json_number_value(v);
        json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
        if (json_is_number(mn) && x < json_number_value(mn)) violation(c, ptr, "%g is below the minimum", x);
        if (json_is_number(mx) && x > json_number_value(mx)) violation(c, ptr, "%g is above the maximum", x);
    }
    json_t *all = json_object_get(s, "allOf");
    if (json_is_array(all)) {
        size_t i;
        json_t *sub;
        json_array_foreach(all, i, sub) check(c, sub, v, ptr);
    }
    check_alternatives(c, json_object_get(s, "oneOf"), v, ptr, "oneOf");
    check_alternatives(c, json_object_get(s, "anyOf"), v, ptr, "anyOf");
    char sub_ptr[1024];
    if (json_is_object(v)) {
        json_t *req = json_object_get(s, "required");
        size_t i;
        json_t *x;
        json_array_foreach(req, i, x) {
            if (json_is_string(x) && !json_object_get(v, json_string_value(x))) {
                snprintf(sub_ptr, sizeof sub_ptr, "%s/%s", ptr, json_string_value(x));
                violation(c, sub_ptr, "required field missing");
            }
        }
        json_t *props = json_object_get(s, "properties"), *addl = json_object_get(s, "additionalProperties");
        const char *k;
        json_object_foreach(v, k, x) {
            snprintf(sub_ptr, sizeof sub_ptr, "%s/%s", ptr, k);
            json_t *ps = json_object_get(props, k);
            if (ps)
                check(c, ps, x, sub_ptr);
            else if (json_is_false(addl))
                violation(c, sub_ptr, "field not in the schema");
            else if (json_is_object(addl))
                check(c, addl, x, sub_ptr);
        }
    }
    if (json_is_array(v)) {
        json_t *mi = json_object_get(s, "minItems"), *items = json_object_get(s, "items");
        if (json_is_integer(mi) && (json_int_t)json_array_size(v) < json_integer_value(mi))
            violation(c, ptr, "fewer items than minItems");
        if (items) {
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) {
                snprintf(sub_ptr, sizeof sub_ptr, "%s/%zu", ptr, i);
                check(c, items, x, sub_ptr);
            }
        }
    }
}

static int cmd_schema(int argc, char **argv) {
    if (argc < 3) return 2;
    json_t *root = load_yaml(argv[0]);
    if (!root) return 2;
    json_t *schemas = json_object_get(json_object_get(root, "components"), "schemas");
    json_t *schema = json_object_get(schemas, argv[1]);
    if (!schema) {
        fprintf(stderr, "jsontool: %s: no schema %s\n", argv[0], argv[1]);
        json_decref(root);
        return 2;
    }
    int bad = 0;
    for (int i = 2; i < argc; i++) {
        json_t *doc = load_json(argv[i]);
        if (!doc) {
            bad = 2;
            continue;
        }
        checker c = {root, argv[i], 0, 0};
        check(&c, schema, doc, "");
        if (c.errors && !bad) bad = 1;
        json_decref(doc);
    }
    json_decref(root);
    return bad;
}

/* ---------------------------------------------------------------------------------------------
 * same */

static void mask(json_t *v, char **keys, int n) {
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            int masked = 0;
            for (int i = 0; i < n; i++)
                if (!strcmp(k, keys[i])) masked = 1;
            if (masked && json_is_object(x)) {
                const char *kk;
                json_t *xx;
                json_object_foreach(x, kk, xx) json_object_set_new(x, kk, json_string("<volatile>"));
            } else if (masked) {
                json_object_set_new(v, k, json_string("<volatile>"));
            } else {
                mask(x, keys, n);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) mask(x, keys, n);
    }
}

/* prints the first difference under ptr; returns 1 when a and b differ */
static int diff(json_t *a, json_t *b, const char *ptr) {
    if (json_equal(a, b)) return 0;
    char sub[1024];
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *x;
        json_object_foreach(a, k, x) {
            snprintf(sub, sizeof sub, "%s/%s", ptr, k);
            json_t *y = json_object_get(b, k);
            if (!y) {
                printf("%s: only in the first\n", sub);
                return 1;
            }
            if (diff(x, y, sub)) return 1;
        }
        json_object_foreach(b, k, x) {
            if (!json_object_get(a, k)) {
                printf("%s/%s: only in the second\n", ptr, k);
                return 1;
            }
        }
    } else if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
            if (diff(json_array_get(a, i), json_array_get(b, i), sub)) return 1;
        }
    }
    char *x = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT), *y = json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT);
    printf("%s: %.80s vs %.80s\n", *ptr ? ptr : "/", x ? x : "?", y ? y : "?");
    free(x);
    free(y);
    return 1;
}

static int cmd_same(int argc, char **argv) {
    if (argc < 2) return 2;
    json_t *a = load_json(argv[0]), *b = load_json(argv[1]);
    int rc = 2;
    if (a && b) {
        mask(a, argv + 2, argc - 2);
        mask(b, argv + 2, argc - 2);
        rc = diff(a, b, "");
    }
    json_decref(a);
    json_decref(b);
    return rc;
}

static int cmd_pluck(int argc, char **argv) {
    if (argc != 1) return 2;
    json_t *a = load_json("-");
    if (!json_is_array(a)) {
        json_decref(a);
        return 2;
    }
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        json_t *v = json_object_get(x, argv[0]);
        if (json_is_string(v))
            puts(json_string_value(v));
        else if (v) {
            char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            puts(d ? d : "");
            free(d);
        }
    }
    json_decref(a);
    return 0;
}

static int cmp_buffer(const void *a, const void *b) {
    json_int_t x = json_integer_value(json_object_get(json_object_get(*(json_t *const *)a, "hardware"), "buffer"));
    json_int_t y = json_integer_value(json_object_get(json_object_get(*(json_t *const *)b, "hardware"), "buffer"));
    return (x > y) - (x < y);
}

static int cmd_monotone(int argc, char **argv) {
    if (argc != 1) return 2;
    json_t *doc = load_json(argv[0]);
    json_t *res = json_object_get(doc, "results");
    if (!json_is_array(res)) {
        json_decref(doc);
        return 2;
    }
    json_t *items[1024];
    size_t n = 0, i;
    json_t *x;
    int carried = 0, bad = 0;
    json_array_foreach(res, i, x) {
        if (json_object_get(x, "metrics") && n < 1024) items[n++] = x;
    }
    qsort(items, n, sizeof *items, cmp_buffer);
    for (i = 0; i < n; i++) {
        const char *path = json_string_value(json_object_get(items[i], "path"));
        carried += path && !strcmp(path, "carried");
    }
    printf("%zu %d [", n, carried);
    for (i = 1; i < n; i++) {
        double a = json_number_value(json_object_get(json_object_get(items[i - 1], "metrics"), "latency_cycles"));
        double b = json_number_value(json_object_get(json_object_get(items[i], "metrics"), "latency_cycles"));
        if (b > a) {
            printf("%s(%lld, %lld)", bad ? ", " : "",
                   (long long)json_integer_value(json_object_get(json_object_get(items[i - 1], "hardware"), "buffer")),
                   (long long)json_integer_value(json_object_get(json_object_get(items[i], "hardware"), "buffer")));
            bad++;
        }
    }
    printf("]\n");
    json_decref(doc);
    return bad || n < 4 ? 1 : 0;
}

int main(int argc, char **argv) {
    int rc = 2;
    if (argc >= 2 && !strcmp(argv[1], "schema"))
        rc = cmd_schema(argc - 2, argv + 2);
    else if (argc >= 2 && !strcmp(argv[1], "same"))
        rc = cmd_same(argc - 2, argv + 2);
    else if (argc >= 2 && !strcmp(argv[1], "pluck"))
        rc = cmd_pluck(argc - 2, argv + 2);
    else if (argc >= 2 && !strcmp(argv[1], "monotone"))
        rc = cmd_monotone(argc - 2, argv + 2);
    if (rc == 2 && (argc < 2 || (strcmp(argv[1], "schema") && strcmp(argv[1], "same") && strcmp(argv[1], "pluck") &&
                                 strcmp(argv[1], "monotone"))))
        fprintf(stderr, "usage: jsontool schema OPENAPI.yaml SCHEMA FILE.json... | same A.json B.json [KEY...] | "
                        "pluck KEY < array.json | monotone BATCH.json\n");
    return rc;
}
