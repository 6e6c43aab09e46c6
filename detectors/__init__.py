"""darktmm experiments layer: detector response, data (with citations), likelihoods and limits."""
