"""One run end to end: run folders and manifests, the stage functions, validation of
params against inputs, notebook execution, assignment of new customers and run comparison."""
