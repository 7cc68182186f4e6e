"""The plugin Pulumi's Python language host runs (``python <this directory> <engine address>``)."""

from kubeboard_infra.provider import main

main()
