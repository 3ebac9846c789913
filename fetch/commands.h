/* oci-fetch's commands besides pulling (inspect, list-tags, login, logout, cache): each parses
 * its own option table (--help is generated from it) and calls its module. main.c's command
 * table dispatches to them; argv[0] is the command's name. Each returns the exit status. */
#ifndef OCI_FETCH_COMMANDS_H
#define OCI_FETCH_COMMANDS_H

int oci_fetch_cmd_inspect(int argc, char **argv);
int oci_fetch_cmd_list_tags(int argc, char **argv);
int oci_fetch_cmd_login(int argc, char **argv);
int oci_fetch_cmd_logout(int argc, char **argv);
int oci_fetch_cmd_cache(int argc, char **argv);
#endif
