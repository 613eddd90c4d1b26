{
  "targets": [
    {
      "target_name": "fused_optimizer",
      "sources": ["fused_optimizer.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-Wall"],
      "cflags!": ["-O2"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
