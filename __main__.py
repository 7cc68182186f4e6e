"""The Kubeboard stacks: typed settings in, one Account or one Platform, its outputs exported.

A stack whose file holds `kubeboard:account` is the account stack (Pulumi.shared.yaml): what exists
once per AWS account and region. Every other stack is an environment (Pulumi.dev.yaml,
Pulumi.prod.yaml) that reads the account stack's outputs. `pulumi up` runs this with the stack's
configuration; `kubeboard plan <stack>...` runs the very same file offline under Pulumi's mock runtime.
"""

import pulumi

from kubeboard_infra import Account, Platform
from kubeboard_infra.settings import AccountSettings, SettingsError, current_settings
from kubeboard_infra.settings.platform_args import platform_args

try:
    settings = current_settings()
except SettingsError as error:
    # A configuration mistake is the user's to fix: say what and where, without a traceback.
    raise pulumi.RunError(str(error)) from None

stack = (
    Account("kubeboard", settings.to_args())
    if isinstance(settings, AccountSettings)
    else Platform("kubeboard", platform_args(settings))
)
for output_name, value in stack.outputs.items():
    pulumi.export(output_name, value)
