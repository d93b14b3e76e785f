/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI runtime seccomp profiles: the policy's kernel rules as one, and one as a starting policy. */
#pragma once

/* `sysbroker oci-seccomp POLICY [--listener-path P] [--listener-metadata S]`: argv[0] is its name.
 */
int sb_cmd_oci_seccomp(int argc, char **argv);
/* `sysbroker import-seccomp PROFILE.json`: argv[0] is its name. */
int sb_cmd_import_seccomp(int argc, char **argv);
