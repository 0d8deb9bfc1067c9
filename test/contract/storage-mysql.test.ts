// Runs every storage contract suite against MariaDB on a fresh gh_test_<random> database (S14).
import { sqlServerContracts } from './sql-server-contracts.ts';

await sqlServerContracts('mysql', 'MariaDB');
