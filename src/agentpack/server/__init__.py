"""The web faces of agentpack: Starlette routes over the same services the command line calls."""
