"""The build engine: content-addressed artifacts (store), the TeX run (latex), the toolchain
probe (toolchain), and the build that ties them together (build).  Standard library only."""
