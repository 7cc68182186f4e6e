"""The Kubeboard platform stack: typed settings in, one Platform, its outputs exported.

`pulumi up` runs this with the stack's configuration; `kubeboard plan <stack>` runs the very same
file offline under Pulumi's mock runtime.
"""

import pulumi

from kubeboard_infra import Platform
from kubeboard_infra.settings import SettingsError, current_settings

try:
    settings = current_settings()
except SettingsError as error:
    # A configuration mistake is the user's to fix: say what and where, without a traceback.
    raise pulumi.RunError(str(error)) from None

platform = Platform("kubeboard", settings)

for output_name, value in platform.outputs.items():
    pulumi.export(output_name, value)
