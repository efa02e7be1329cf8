"""Every PlanetScale operation the bot calls: method, the spec's path template, and the model of its answer.

Kept as data so one test can check each against planetscale/openapi.json (the operation exists, the model's
fields exist in its response schema), and so errors and logs name the template rather than a filled-in path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from bot.planetscale.models import (
    Branch,
    BranchSchema,
    CountedPage,
    Database,
    Deployment,
    DeployOperation,
    DeployRequest,
    DeployReview,
    LintError,
    Organization,
    OrganizationMember,
    Page,
    Password,
    User,
    Webhook,
)

__all__ = ["ALL_ENDPOINTS", "BodylessEndpoint", "Endpoint"]

ModelT_co = TypeVar("ModelT_co", bound=BaseModel, covariant=True)

ORGANIZATIONS = "/organizations"
ORGANIZATION = ORGANIZATIONS + "/{organization}"
DATABASES = ORGANIZATION + "/databases"
DATABASE = DATABASES + "/{database}"
BRANCHES = DATABASE + "/branches"
BRANCH = BRANCHES + "/{branch}"
PASSWORDS = BRANCH + "/passwords"
DEPLOY_REQUESTS = DATABASE + "/deploy-requests"
DEPLOY_REQUEST = DEPLOY_REQUESTS + "/{number}"
WEBHOOKS = DATABASE + "/webhooks"


@dataclass(frozen=True)
class Endpoint(Generic[ModelT_co]):
    """An operation answering with a JSON body parsed as `response`."""

    method: str
    template: str
    response: type[ModelT_co]


@dataclass(frozen=True)
class BodylessEndpoint:
    """An operation answering 204 with no body."""

    method: str
    template: str


GET_CURRENT_USER = Endpoint("GET", "/user", User)
LIST_ORGANIZATIONS = Endpoint("GET", ORGANIZATIONS, Page[Organization])
GET_ORGANIZATION = Endpoint("GET", ORGANIZATION, Organization)
LIST_MEMBERS = Endpoint("GET", ORGANIZATION + "/members", CountedPage[OrganizationMember])
LIST_DATABASES = Endpoint("GET", DATABASES, CountedPage[Database])
GET_DATABASE = Endpoint("GET", DATABASE, Database)
LIST_BRANCHES = Endpoint("GET", BRANCHES, CountedPage[Branch])
GET_BRANCH = Endpoint("GET", BRANCH, Branch)
CREATE_BRANCH = Endpoint("POST", BRANCHES, Branch)
DELETE_BRANCH = BodylessEndpoint("DELETE", BRANCH)
GET_BRANCH_SCHEMA = Endpoint("GET", BRANCH + "/schema", BranchSchema)
LINT_BRANCH_SCHEMA = Endpoint("GET", BRANCH + "/schema/lint", Page[LintError])
LIST_DEPLOY_REQUESTS = Endpoint("GET", DEPLOY_REQUESTS, CountedPage[DeployRequest])
GET_DEPLOY_REQUEST = Endpoint("GET", DEPLOY_REQUEST, DeployRequest)
CREATE_DEPLOY_REQUEST = Endpoint("POST", DEPLOY_REQUESTS, DeployRequest)
CLOSE_DEPLOY_REQUEST = Endpoint("PATCH", DEPLOY_REQUEST, DeployRequest)
LIST_REVIEWS = Endpoint("GET", DEPLOY_REQUEST + "/reviews", Page[DeployReview])
REVIEW_DEPLOY_REQUEST = Endpoint("POST", DEPLOY_REQUEST + "/reviews", DeployReview)
QUEUE_DEPLOY_REQUEST = Endpoint("POST", DEPLOY_REQUEST + "/deploy", DeployRequest)
UPDATE_AUTO_APPLY = Endpoint("PUT", DEPLOY_REQUEST + "/auto-apply", DeployRequest)
FORCE_CUTOVER = Endpoint("POST", DEPLOY_REQUEST + "/force-cutover", DeployRequest)
APPLY_DEPLOY = Endpoint("POST", DEPLOY_REQUEST + "/apply-deploy", DeployRequest)
CANCEL_DEPLOY = Endpoint("POST", DEPLOY_REQUEST + "/cancel", DeployRequest)
REVERT_DEPLOY = Endpoint("POST", DEPLOY_REQUEST + "/revert", DeployRequest)
SKIP_REVERT = Endpoint("POST", DEPLOY_REQUEST + "/skip-revert", DeployRequest)
COMPLETE_DEPLOY = Endpoint("POST", DEPLOY_REQUEST + "/complete-deploy", DeployRequest)
LIST_OPERATIONS = Endpoint("GET", DEPLOY_REQUEST + "/operations", Page[DeployOperation])
GET_DEPLOYMENT = Endpoint("GET", DEPLOY_REQUEST + "/deployment", Deployment)
GET_DEPLOY_QUEUE = Endpoint("GET", DATABASE + "/deploy-queue", Page[Deployment])
LIST_PASSWORDS = Endpoint("GET", PASSWORDS, CountedPage[Password])
CREATE_PASSWORD = Endpoint("POST", PASSWORDS, Password)
DELETE_PASSWORD = BodylessEndpoint("DELETE", PASSWORDS + "/{id}")
LIST_WEBHOOKS = Endpoint("GET", WEBHOOKS, Page[Webhook])
CREATE_WEBHOOK = Endpoint("POST", WEBHOOKS, Webhook)
DELETE_WEBHOOK = BodylessEndpoint("DELETE", WEBHOOKS + "/{id}")
TEST_WEBHOOK = BodylessEndpoint("POST", WEBHOOKS + "/{id}/test")

ALL_ENDPOINTS: tuple[Endpoint[BaseModel] | BodylessEndpoint, ...] = (
    GET_CURRENT_USER,
    LIST_ORGANIZATIONS,
    GET_ORGANIZATION,
    LIST_MEMBERS,
    LIST_DATABASES,
    GET_DATABASE,
    LIST_BRANCHES,
    GET_BRANCH,
    CREATE_BRANCH,
    DELETE_BRANCH,
    GET_BRANCH_SCHEMA,
    LINT_BRANCH_SCHEMA,
    LIST_DEPLOY_REQUESTS,
    GET_DEPLOY_REQUEST,
    CREATE_DEPLOY_REQUEST,
    CLOSE_DEPLOY_REQUEST,
    LIST_REVIEWS,
    REVIEW_DEPLOY_REQUEST,
    QUEUE_DEPLOY_REQUEST,
    UPDATE_AUTO_APPLY,
    FORCE_CUTOVER,
    APPLY_DEPLOY,
    CANCEL_DEPLOY,
    REVERT_DEPLOY,
    SKIP_REVERT,
    COMPLETE_DEPLOY,
    LIST_OPERATIONS,
    GET_DEPLOYMENT,
    GET_DEPLOY_QUEUE,
    LIST_PASSWORDS,
    CREATE_PASSWORD,
    DELETE_PASSWORD,
    LIST_WEBHOOKS,
    CREATE_WEBHOOK,
    DELETE_WEBHOOK,
    TEST_WEBHOOK,
)
