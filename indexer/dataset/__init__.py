"""Reading and validating a catalog in the H&M format: `read.load` and `read.validate`."""
