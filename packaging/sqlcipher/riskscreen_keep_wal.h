/*
** RiskScreen's addition to the SQLCipher amalgamation (vendor/sqlite3.c of sqlcipher3).
**
** dev.py compiles sqlcipher3 with
**     -I<this folder> -DSQLITE_CUSTOM_INCLUDE=riskscreen_keep_wal.h
** SQLite includes this file once, near the top of the amalgamation (its documented
** SQLITE_CUSTOM_INCLUDE hook; the module's other C files never see it). The file makes
** SQLITE_EXTRA_INIT, SQLite's hook run at the end of sqlite3_initialize(), which SQLCipher's
** setup.py sets to sqlcipher_extra_init, call riskscreen_keep_wal_init() instead, which runs
** SQLCipher's function first. (SQLITE_EXTRA_INIT_MUTEXED, the free hook, runs too early:
** sqlite3_auto_extension() allocates, and allocating re-enters sqlite3_initialize(), which
** then waits for the mutex sqlite3_auto_extension() holds.)
** riskscreen_keep_wal_init() registers an automatic extension that turns on
** SQLITE_FCNTL_PERSIST_WAL for the main database of every connection, so the last connection
** to close keeps the -wal file (checkpointed) instead of deleting it. The next session's
** commits then overwrite a file already on disk at its size instead of growing a new one,
** and with synchronous=FULL each fdatasync no longer has to write the file's new size:
** the same durability, a cheaper sync. riskscreen.store.db bounds the kept file's size.
**
** The kept frames are pages as SQLCipher writes them, encrypted and authenticated under the
** database's key: they tell no more than the database file itself.
**
** The hook is included before the amalgamation's copy of sqlite3.h, which must stay where it
** is (it also defines sqlite3_version), so the two functions and the one constant used are
** declared here as sqlite3.h declares them: the compiler then checks the prototypes against
** sqlite3.h's, and warns if the constant's value differs from sqlite3.h's. dev.py checks the
** built library keeps a WAL file before it keeps the build.
*/
#ifndef RISKSCREEN_KEEP_WAL_H
#define RISKSCREEN_KEEP_WAL_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_api_routines sqlite3_api_routines;
int sqlite3_auto_extension(void(*xEntryPoint)(void));
int sqlite3_file_control(sqlite3*, const char *zDbName, int op, void*);
#define SQLITE_FCNTL_PERSIST_WAL            10

/* The automatic extension: runs in every sqlite3_open*, once the main file is open. */
static int riskscreen_keep_wal(sqlite3 *db, const char **error,
                               const sqlite3_api_routines *api){
  int keep = 1;
  (void)error;
  (void)api;
  /* SQLITE_NOTFOUND for an in-memory database, which has no WAL file to keep. */
  (void)sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
  return 0;  /* SQLITE_OK */
}

/* SQLCipher's own hook must be the one this replaces: stop the build otherwise. */
#define RISKSCREEN_HOOK_sqlcipher_extra_init 1
#define RISKSCREEN_HOOK_(name) RISKSCREEN_HOOK_##name
#define RISKSCREEN_HOOK(name) RISKSCREEN_HOOK_(name)
#if !defined(SQLITE_EXTRA_INIT) || RISKSCREEN_HOOK(SQLITE_EXTRA_INIT) != 1
# error "expected SQLCipher's -DSQLITE_EXTRA_INIT=sqlcipher_extra_init"
#endif

int sqlcipher_extra_init(const char*);

/* Run by sqlite3_initialize() once it is done (it returns at once when called again). */
static int riskscreen_keep_wal_init(const char *arg){
  int rc = sqlcipher_extra_init(arg);
  if( rc==0 ){
    rc = sqlite3_auto_extension((void(*)(void))riskscreen_keep_wal);
  }
  return rc;
}

#undef SQLITE_EXTRA_INIT
#define SQLITE_EXTRA_INIT riskscreen_keep_wal_init

#endif
