"""The PlanetScale API paths the stand-in serves, as the spec's templates (relative to the `/v1` base URL)."""

from __future__ import annotations

USER = "/user"
ORGANIZATIONS = "/organizations"
ORGANIZATION = "/organizations/{organization}"
MEMBERS = ORGANIZATION + "/members"
DATABASES = "/organizations/{organization}/databases"
DATABASE = "/organizations/{organization}/databases/{database}"
BRANCHES = DATABASE + "/branches"
BRANCH = BRANCHES + "/{branch}"
BRANCH_SCHEMA = BRANCH + "/schema"
BRANCH_LINT = BRANCH + "/schema/lint"
PASSWORDS = BRANCH + "/passwords"
PASSWORD = PASSWORDS + "/{id}"
DEPLOY_QUEUE = DATABASE + "/deploy-queue"
DEPLOY_REQUESTS = DATABASE + "/deploy-requests"
DEPLOY_REQUEST = DEPLOY_REQUESTS + "/{number}"
REVIEWS = DEPLOY_REQUEST + "/reviews"
DEPLOY = DEPLOY_REQUEST + "/deploy"
AUTO_APPLY = DEPLOY_REQUEST + "/auto-apply"
FORCE_CUTOVER = DEPLOY_REQUEST + "/force-cutover"
APPLY_DEPLOY = DEPLOY_REQUEST + "/apply-deploy"
CANCEL = DEPLOY_REQUEST + "/cancel"
REVERT = DEPLOY_REQUEST + "/revert"
SKIP_REVERT = DEPLOY_REQUEST + "/skip-revert"
COMPLETE_DEPLOY = DEPLOY_REQUEST + "/complete-deploy"
OPERATIONS = DEPLOY_REQUEST + "/operations"
DEPLOYMENT = DEPLOY_REQUEST + "/deployment"
WEBHOOKS = DATABASE + "/webhooks"
WEBHOOK = WEBHOOKS + "/{id}"
WEBHOOK_TEST = WEBHOOK + "/test"

ALL = frozenset(
    {
        USER,
        ORGANIZATIONS,
        ORGANIZATION,
        MEMBERS,
        DATABASES,
        DATABASE,
        BRANCHES,
        BRANCH,
        BRANCH_SCHEMA,
        BRANCH_LINT,
        PASSWORDS,
        PASSWORD,
        DEPLOY_QUEUE,
        DEPLOY_REQUESTS,
        DEPLOY_REQUEST,
        REVIEWS,
        DEPLOY,
        AUTO_APPLY,
        FORCE_CUTOVER,
        APPLY_DEPLOY,
        CANCEL,
        REVERT,
        SKIP_REVERT,
        COMPLETE_DEPLOY,
        OPERATIONS,
        DEPLOYMENT,
        WEBHOOKS,
        WEBHOOK,
        WEBHOOK_TEST,
    }
)
