"""The synthetic world in the H&M format: `world.generate` writes it."""
