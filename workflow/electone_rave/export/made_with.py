"""The extra file of a .ts archive in which the workflow's export records the torch that made it
(torch.jit.save's _extra_files). nn~ does not read it; nn-host's `describe` does (workflow/nn_host).
A module of its own: the export and the release bundle both name it, and neither should re-run
when the other's code changes."""

MADE_WITH = "made_with_torch"
