/* The registry of C cases: each file of cases registers its own, by name. */
#ifndef UVMAPI_C_TESTS_CASES_H
#define UVMAPI_C_TESTS_CASES_H

typedef void (*case_fn)(const void* arg);

/* name is copied; arg is passed to fn and must outlive the run. */
void register_case(const char* name, case_fn fn, const void* arg);

void register_logoff_cases(void);
void register_deadline_cases(void);
void register_provider_cases(void);
void register_rules_cases(void);
void register_host_loop_cases(void);
void register_durable_cases(void);
void register_misuse_cases(void); /* Calls the four below. */
void register_misuse_support_cases(void);
void register_misuse_lifecycle_cases(void);
void register_misuse_object_cases(void);
void register_misuse_loop_cases(void);
void register_smtp_cases(void);
void register_smtp_send_cases(void);

#endif /* UVMAPI_C_TESTS_CASES_H */
