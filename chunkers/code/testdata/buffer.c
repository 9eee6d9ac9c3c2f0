/* buffer.c: a growable byte buffer. */
#include <stdlib.h>
#include <string.h>

#define BUF_INIT_CAP 64
#define MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct buffer {
    char *data;
    size_t len;
    size_t cap;
} buffer;

enum buf_error { BUF_OK, BUF_NOMEM };

static int instances = 0;

/* buf_new allocates an empty buffer. */
buffer *buf_new(void) {
    buffer *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->data = malloc(BUF_INIT_CAP);
    b->len = 0;
    b->cap = BUF_INIT_CAP;
    instances++;
    return b;
}

static int buf_grow(buffer *b, size_t need) {
    size_t cap = MAX(b->cap * 2, need);
    char *p = realloc(b->data, cap);
    if (!p) return BUF_NOMEM;
    b->data = p;
    b->cap = cap;
    return BUF_OK;
}

int buf_append(buffer *b, const char *s, size_t n) {
    if (b->len + n > b->cap && buf_grow(b, b->len + n) != BUF_OK) {
        return BUF_NOMEM;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return BUF_OK;
}

void buf_free(buffer *b) {
    free(b->data);
    free(b);
    instances--;
}
