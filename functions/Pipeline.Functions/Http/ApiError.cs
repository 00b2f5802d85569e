// The error body every refusal of the HTTP functions carries: a stable code for programs, a sentence for people.
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Pipeline.Functions.Http;

public sealed record ApiError(int Status, string Code, string Message)
{
    /// <summary>{"error": code, "message": sentence} with the status (as ASP.NET Core's typed result where it has one).</summary>
    public IActionResult ToResult()
    {
        var body = new { error = Code, message = Message };
        return Status switch
        {
            StatusCodes.Status400BadRequest => new BadRequestObjectResult(body),
            StatusCodes.Status401Unauthorized => new UnauthorizedObjectResult(body),
            StatusCodes.Status409Conflict => new ConflictObjectResult(body),
            StatusCodes.Status422UnprocessableEntity => new UnprocessableEntityObjectResult(body),
            _ => new ObjectResult(body) { StatusCode = Status },
        };
    }
}
