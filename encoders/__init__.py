"""Text and image encoders, shared by the indexer (build time) and the ranking engine (query
time). Import the submodules: heavy libraries load only when an encoder is built."""
