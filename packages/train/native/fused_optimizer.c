/*
 * Fused optimiser updates for the onnx-cpu trainer: one pass over a parameter buffer reads p, g and the
 * slots once and writes p and the slots in place (the in-graph update is ~12 pointwise ONNX nodes, each
 * a full pass over memory). Same float32 operations in the same order as the graph's nodes (built with
 * -ffp-contract=off: no fused multiply-add), so both paths give bit-identical weights.
 *
 *   adam(p, g, m, v, beta1, 1-beta1, beta2, 1-beta2, stepSize, epsHat, clip)
 *     m <- m*beta1 + g*(1-beta1)   (m <- g when beta1 = 0)
 *     v <- v*beta2 + (g*g)*(1-beta2)
 *     p <- p - (m / (sqrt(v) + epsHat)) * stepSize,  then clipped to [-clip, clip] when clip > 0
 *   rmsprop(p, g, v, alpha, 1-alpha, lr, eps, clip)
 *     v <- v*alpha + (g*g)*(1-alpha);  p <- p - (g / (sqrt(v) + eps)) * lr,  then clipped
 *   countAtBound(p, c): how many |p_i| == c (weight clipping's statistic)
 *   release(a): detaches a typed array's ArrayBuffer, which frees its memory now instead of at V8's next
 *     collection. onnxruntime-node copies every output of a run into a fresh ArrayBuffer even when the
 *     caller passed a preallocated tensor (which it also fills): ~18 MB per generator iteration here, and
 *     that garbage kept V8 in external-memory-pressure mark-compacts.
 *
 * Arguments are Float32Arrays of one length (updated in place) and numbers (rounded to float32 here, as
 * the graph's scalar constants are). On x86-64 the loops are compiled for AVX-512, AVX2 and baseline
 * SSE2 and the best the CPU supports is picked at load time (GCC target_clones); large buffers are split
 * across threads when asked.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MULTIVERSION
#endif

typedef struct {
  float *p, *g, *m, *v;
  size_t n;
  float b1, c1, b2, c2, step, eps, clip;
} Job;

MULTIVERSION static void adam_range(const Job *j, size_t lo, size_t hi) {
  float *restrict p = j->p, *restrict m = j->m, *restrict v = j->v;
  const float *restrict g = j->g;
  const float b1 = j->b1, c1 = j->c1, b2 = j->b2, c2 = j->c2, s = j->step, e = j->eps, c = j->clip;
  const int momentum = b1 != 0.0f, clip = c > 0.0f;
  for (size_t i = lo; i < hi; i++) {
    const float gi = g[i];
    const float mi = momentum ? m[i] * b1 + gi * c1 : gi;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    float pi = p[i] - (mi / (sqrtf(vi) + e)) * s;
    if (clip) {
      pi = pi < -c ? -c : pi;
      pi = pi > c ? c : pi;
    }
    m[i] = mi;
    v[i] = vi;
    p[i] = pi;
  }
}

MULTIVERSION static void rmsprop_range(const Job *j, size_t lo, size_t hi) {
  float *restrict p = j->p, *restrict v = j->v;
  const float *restrict g = j->g;
  const float a = j->b2, ca = j->c2, lr = j->step, e = j->eps, c = j->clip;
  const int clip = c > 0.0f;
  for (size_t i = lo; i < hi; i++) {
    const float gi = g[i];
    const float vi = v[i] * a + (gi * gi) * ca;
    float pi = p[i] - (gi / (sqrtf(vi) + e)) * lr;
    if (clip) {
      pi = pi < -c ? -c : pi;
      pi = pi > c ? c : pi;
    }
    v[i] = vi;
    p[i] = pi;
  }
}

typedef void (*RangeFn)(const Job *, size_t, size_t);
typedef struct {
  RangeFn fn;
  const Job *job;
  size_t lo, hi;
} Part;

static void *run_part(void *arg) {
  const Part *part = (const Part *)arg;
  part->fn(part->job, part->lo, part->hi);
  return NULL;
}

#define MAX_THREADS 64
/* below this many elements per thread a thread costs more than it saves */
#define MIN_PER_THREAD (1u << 16)

static void run_split(RangeFn fn, const Job *job, int threads) {
  size_t n = job->n;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads > 1 && n / (size_t)threads < MIN_PER_THREAD) threads = (int)(n / MIN_PER_THREAD);
  if (threads <= 1) {
    fn(job, 0, n);
    return;
  }
  Part parts[MAX_THREADS];
  pthread_t ids[MAX_THREADS];
  int started[MAX_THREADS];
  /* chunk boundaries on 64-byte lines */
  size_t chunk = ((n / (size_t)threads) + 15) & ~(size_t)15;
  for (int t = 0; t < threads; t++) {
    size_t lo = chunk * (size_t)t, hi = t == threads - 1 ? n : chunk * (size_t)(t + 1);
    if (lo > n) lo = n;
    if (hi > n) hi = n;
    parts[t] = (Part){fn, job, lo, hi};
  }
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], NULL, run_part, &parts[t]) == 0;
  run_part(&parts[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t])
      pthread_join(ids[t], NULL);
    else
      run_part(&parts[t]);
  }
}

static int float_array(napi_env env, napi_value value, float **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = (float *)ptr;
  return 1;
}

static int number(napi_env env, napi_value value, double *out) {
  return napi_get_value_double(env, value, out) == napi_ok;
}

#define FAIL(msg)                          \
  do {                                     \
    napi_throw_type_error(env, NULL, msg); \
    return NULL;                           \
  } while (0)

/* adam(p, g, m, v, beta1, 1-beta1, beta2, 1-beta2, stepSize, epsHat, clip, threads) */
static napi_value adam(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 12) FAIL("adam takes (p, g, m, v, beta1, 1-beta1, beta2, 1-beta2, stepSize, epsHat, clip, threads)");
  Job job;
  size_t n[4];
  float **arrays[4] = {&job.p, &job.g, &job.m, &job.v};
  for (int k = 0; k < 4; k++)
    if (!float_array(env, argv[k], arrays[k], &n[k])) FAIL("adam: p, g, m, v must be Float32Arrays");
  if (n[1] != n[0] || n[2] != n[0] || n[3] != n[0]) FAIL("adam: p, g, m, v must have one length");
  double s[8];
  for (int k = 0; k < 8; k++)
    if (!number(env, argv[4 + k], &s[k])) FAIL("adam: the scalars must be numbers");
  job.n = n[0];
  job.b1 = (float)s[0], job.c1 = (float)s[1], job.b2 = (float)s[2], job.c2 = (float)s[3];
  job.step = (float)s[4], job.eps = (float)s[5], job.clip = (float)s[6];
  run_split(adam_range, &job, (int)s[7]);
  return NULL;
}

/* rmsprop(p, g, v, alpha, 1-alpha, lr, eps, clip, threads) */
static napi_value rmsprop(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 9) FAIL("rmsprop takes (p, g, v, alpha, 1-alpha, lr, eps, clip, threads)");
  Job job;
  size_t n[3];
  float **arrays[3] = {&job.p, &job.g, &job.v};
  for (int k = 0; k < 3; k++)
    if (!float_array(env, argv[k], arrays[k], &n[k])) FAIL("rmsprop: p, g, v must be Float32Arrays");
  if (n[1] != n[0] || n[2] != n[0]) FAIL("rmsprop: p, g, v must have one length");
  double s[6];
  for (int k = 0; k < 6; k++)
    if (!number(env, argv[3 + k], &s[k])) FAIL("rmsprop: the scalars must be numbers");
  job.m = NULL;
  job.n = n[0];
  job.b1 = job.c1 = 0;
  job.b2 = (float)s[0], job.c2 = (float)s[1], job.step = (float)s[2], job.eps = (float)s[3], job.clip = (float)s[4];
  run_split(rmsprop_range, &job, (int)s[5]);
  return NULL;
}

/* countAtBound(p, c): the number of |p_i| == c, with c rounded to float32 */
static napi_value count_at_bound(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  float *p;
  size_t n;
  double c;
  if (argc != 2 || !float_array(env, argv[0], &p, &n) || !number(env, argv[1], &c))
    FAIL("countAtBound takes (p: Float32Array, c: number)");
  const float cf = (float)c;
  double count = 0;
  for (size_t i = 0; i < n; i++) count += fabsf(p[i]) == cf;
  napi_value out;
  napi_create_double(env, count, &out);
  return out;
}

/* release(a): detach the typed array's buffer (its memory is freed when nothing else holds it) */
static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_typedarray = false;
  if (argc != 1 || napi_is_typedarray(env, argv[0], &is_typedarray) != napi_ok || !is_typedarray)
    FAIL("release takes (a: TypedArray)");
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[0], NULL, NULL, NULL, &buffer, NULL) != napi_ok ||
      napi_detach_arraybuffer(env, buffer) != napi_ok)
    FAIL("release: the array's buffer cannot be detached");
  return NULL;
}

/* which code path the loader picked: "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2) or "baseline" */
static napi_value isa(napi_env env, napi_callback_info info) {
  (void)info;
  const char *name = "baseline";
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4"))
    name = "x86-64-v4";
  else if (__builtin_cpu_supports("x86-64-v3"))
    name = "x86-64-v3";
#endif
  napi_value out;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"adam", NULL, adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsprop", NULL, rmsprop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"countAtBound", NULL, count_at_bound, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isa", NULL, isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
